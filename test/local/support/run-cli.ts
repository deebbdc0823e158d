import { execFile } from 'node:child_process';
import { REPO_ROOT } from '../../../local/support/child-process.js';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs one of the project's TypeScript programs with `env` over this process's, stdout and stderr apart. */
export async function runCli(
  script: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs = 60_000,
): Promise<CliRun> {
  const startedAt = Date.now();
  // undefined unsets a variable this process has.
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...process.env, ...env })) {
    if (value !== undefined) merged[name] = value;
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd: REPO_ROOT, env: merged, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - startedAt });
      },
    );
  });
}

/** The one line a missing prerequisite must be: exactly one line on stderr, and no stack frame anywhere. */
export function oneErrorLine(run: CliRun): string {
  const lines = run.stderr.trim().split('\n');
  if (lines.length !== 1 || /\n\s+at /.test(`${run.stdout}\n${run.stderr}`)) {
    throw new Error(`expected one line on stderr, got:\n${run.stderr}\n--- stdout:\n${run.stdout}`);
  }
  return lines[0] ?? '';
}
