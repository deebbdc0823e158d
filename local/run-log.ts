import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionOutputLine } from './lambda/function-output.js';

const LOGS_DIR = fileURLToPath(new URL('../.cache/logs/', import.meta.url));

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
  await mkdir(LOGS_DIR, { recursive: true });
  const path = join(LOGS_DIR, `run-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.jsonl`);
  const stream = createWriteStream(path, { flags: 'a' });
  return {
    path,
    write: (source, line) => {
      stream.write(`${JSON.stringify({ source, ...line })}\n`);
    },
    writeText: (source, text) => {
      stream.write(`${JSON.stringify({ source, kind: 'text', text })}\n`);
    },
    close: () => new Promise<void>((resolve) => stream.end(resolve)),
  };
}
