/**
 * The harness's child processes: a worker forked from its own entry file, the next structured message
 * it sends, and a stop that asks first and kills after a grace period.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { MissingPrerequisite } from '../../local/support/prerequisite.js';
import type { WorkerError } from './worker-messages.js';

/**
 * Forks the consumer worker (consumer-worker.ts) under tsx with an IPC channel.
 * BENCH_CHILD_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=.cache/profiles") profiles the children.
 */
export function forkWorker(entry: URL, env: Readonly<Record<string, string>>): ChildProcess {
  return fork(entry, [], {
    execArgv: [
      '--import',
      import.meta.resolve('tsx'),
      ...(process.env.BENCH_CHILD_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
    env: { ...process.env, ...env },
    // Their stdout goes to stderr too: the runner's stdout stays free for what it prints.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
}

/** The first message `accept` takes; rejects on the worker's error message or its exit. */
export function nextMessage<T extends { readonly type: string }>(
  child: ChildProcess,
  accept: (message: T) => boolean,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T | WorkerError) => {
      if (message.type === 'error') {
        cleanUp();
        reject(new Error(`${what}: ${(message as WorkerError).message}`));
      } else if (accept(message as T)) {
        cleanUp();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanUp();
      reject(new Error(`${what}: the child process exited (${signal ?? `code ${code}`})`));
    };
    const cleanUp = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * Asks a child to stop (`ask`: by default its IPC channel is closed, which every worker takes as the
 * end) and kills it with SIGKILL if it has not exited after `graceMs`. Resolves once it has exited.
 */
export async function stopChild(
  child: ChildProcess,
  graceMs: number,
  ask: (child: ChildProcess) => void = (c) => {
    if (c.connected) c.disconnect();
  },
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  ask(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs a worker's main; an error goes to the harness as a message before the channel closes: a missing
 * tool as its one line, anything else with its stack.
 */
export function runWorker(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const text =
      error instanceof MissingPrerequisite ? error.message : ((error as Error).stack ?? String(error));
    const message: WorkerError = { type: 'error', message: text };
    process.send?.(message);
    process.exitCode = 1;
    process.disconnect?.();
  });
}
