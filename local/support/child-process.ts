import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: scripts are named relative to it and run in it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ScriptRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
}

export interface ScriptOptions {
  /** Added to (and overriding) this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface SpawnOptions extends ScriptOptions {
  /** Each whole line of stdout and stderr, as it comes (a partial last line at the exit). */
  readonly onLine?: (line: string) => void;
}

export interface RunOptions extends ScriptOptions {
  /** Killed with SIGKILL after this long; the promise then rejects with the output so far. */
  readonly timeoutMs?: number;
}

/** One of the project's programs running in a process of its own, which its parent may kill. */
export interface ScriptProcess {
  /** Resolves at the exit; rejects only when the process could not be started. */
  readonly exited: Promise<ScriptRun>;
  /** stdout and stderr so far. */
  readonly output: string;
  readonly running: boolean;
  readonly startedAt: number;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts one of the project's TypeScript programs (e.g. local/run/cli.ts) in a process of its own, as the
 * soak and the crash tests need: a process they can kill, whose output they read line by line.
 */
export function spawnScript(
  script: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ScriptProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // Per stream, so that a line is never cut by a chunk of the other stream.
  const partial = { stdout: '', stderr: '' };
  const onData = (stream: keyof typeof partial) => (chunk: Buffer) => {
    const text = chunk.toString();
    output += text;
    if (!options.onLine) return;
    const lines = (partial[stream] + text).split('\n');
    partial[stream] = lines.pop() ?? '';
    for (const line of lines) options.onLine(line);
  };
  child.stdout.on('data', onData('stdout'));
  child.stderr.on('data', onData('stderr'));
  const exited = new Promise<ScriptRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const rest of Object.values(partial)) if (rest) options.onLine?.(rest);
      resolve({ code, signal, output });
    });
  });
  return {
    exited,
    startedAt: Date.now(),
    get output() {
      return output;
    },
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    kill: (signal) => child.kill(signal),
  };
}

/** Runs a program to its end (see spawnScript). */
export async function runScript(
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<ScriptRun> {
  const running = spawnScript(script, args, options);
  if (options.timeoutMs === undefined) return running.exited;
  return exitWithin(running, options.timeoutMs, `${script} ${args.join(' ')}`);
}

/** The exit, or (after a SIGKILL) an error with the output so far when it takes longer than `ms`. */
export async function exitWithin(running: ScriptProcess, ms: number, what: string): Promise<ScriptRun> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      running.kill('SIGKILL');
      reject(new Error(`${what} did not finish in ${ms} ms:\n${running.output}`));
    }, ms);
  });
  try {
    return await Promise.race([running.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
