import { createWriteStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FunctionOutputLine } from '../lambda-runtime/function-output.js';
import { cacheDir } from '../support/fs/cache-dir.js';
import { diskFullOr } from '../support/prerequisite.js';

export interface RunLog {
  readonly path: string;
  /** One JSON line: which function, what kind of line, and the line itself. */
  write(source: string, line: FunctionOutputLine): void;
  /** A library's or a service's own text line (the broker's log), kept off the terminal. */
  writeText(source: string, text: string): void;
  close(): Promise<void>;
}

/**
 * The run's log file under .cache/logs/: everything the functions printed (their JSON logs, EMF
 * metrics, the emulator's platform lines) and the broker's log, one JSON line each, so that the terminal shows only what
 * a user acts on and nothing is lost.
 */
export async function openRunLog(): Promise<RunLog> {
  const logsDir = cacheDir('logs');
  const path = join(logsDir, `run-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
  // The first line written and awaited here: a full disk is one line before anything starts.
  try {
    await mkdir(logsDir, { recursive: true });
    await appendFile(
      path,
      `${JSON.stringify({ source: 'run', kind: 'text', text: `pid ${process.pid}` })}\n`,
    );
  } catch (error) {
    throw diskFullOr(error, logsDir);
  }
  const stream = createWriteStream(path, { flags: 'a' });
  // A disk that fills during the run loses the log's rest, said once; it never ends the run.
  let failed = false;
  stream.on('error', (error) => {
    if (!failed) {
      process.stderr.write(`the run log ${path} stopped: ${(diskFullOr(error, logsDir) as Error).message}\n`);
    }
    failed = true;
  });
  return {
    path,
    write: (source, line) => {
      if (!failed) stream.write(`${JSON.stringify({ source, ...line })}\n`);
    },
    writeText: (source, text) => {
      if (!failed) stream.write(`${JSON.stringify({ source, kind: 'text', text })}\n`);
    },
    close: () => new Promise<void>((resolve) => stream.end(resolve)),
  };
}
