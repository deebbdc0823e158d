import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { type BrokerFiles, log4jFlag } from './broker-config.js';

const STOP_GRACE_MS = 15_000;
const execFileAsync = promisify(execFile);

// Serial GC: on two cores a concurrent collector's threads compete with the broker and the tests,
// and pauses on a heap this small stay in the milliseconds.
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'];

// Process-wide, because the 'exit' hook that uses them is: every broker JVM this process started and
// every temp data dir it still owns.
const liveProcessKillers = new Set<() => void>();
const tempDataDirs = new Set<string>();
let exitHooksInstalled = false;

/** Formats the KRaft storage of a new data dir (`kafka-storage format`). */
export async function formatStorage(classpath: string, files: BrokerFiles): Promise<void> {
  const args = [
    '-Xmx256m',
    ...JVM_FLAGS,
    log4jFlag(files),
    '-cp',
    classpath,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    newClusterId(),
    '-c',
    files.properties,
    '--ignore-formatted',
  ];
  try {
    await execFileAsync('java', args);
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `Formatting the Kafka storage in ${files.logDir} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
      { cause: error },
    );
  }
}

/** A Kafka Uuid: 16 random bytes in URL-safe base64, not starting with '-' (it would read as a flag). */
function newClusterId(): string {
  let id = randomBytes(16).toString('base64url');
  while (id.startsWith('-')) {
    id = randomBytes(16).toString('base64url');
  }
  return id;
}

export interface BrokerJvm {
  /** The broker's last stdout and stderr lines, for error messages. */
  readonly recentOutput: readonly string[];
  readonly exit: Promise<string>;
  hasExited(): boolean;
  /** Sends the signal (SIGKILL after the grace period) and resolves once the JVM is gone. */
  terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface JvmOptions {
  readonly heapMb: number;
  readonly log: (line: string) => void;
  /** Removed by the watchdog when Node dies without cleaning up. */
  readonly tempDataDir: string | undefined;
}

/** Starts `kafka.Kafka` on the files; the JVM dies with this process, however it dies. */
export function spawnBrokerJvm(
  classpath: string,
  files: BrokerFiles,
  { heapMb, log, tempDataDir }: JvmOptions,
): BrokerJvm {
  const child = spawn(
    'java',
    [
      `-Xms${Math.min(heapMb, 128)}m`,
      `-Xmx${heapMb}m`,
      ...JVM_FLAGS,
      log4jFlag(files),
      '-cp',
      classpath,
      'kafka.Kafka',
      files.properties,
    ],
    // Its own process group, so Ctrl+C reaches only Node, which stops consumers before the broker.
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watchdog = spawnWatchdog(child, tempDataDir);
  const killNow = (): void => {
    child.kill('SIGKILL');
    watchdog?.kill('SIGKILL');
  };
  liveProcessKillers.add(killNow);
  installExitHooks();

  const recentOutput: string[] = [];
  let exited = false;
  let stopping = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recentOutput.push(line);
      if (recentOutput.length > 50) {
        recentOutput.shift();
      }
      log(line);
    });
  }
  const exit = new Promise<string>((resolve) => {
    const onGone = (description: string): void => {
      if (exited) {
        return;
      }
      exited = true;
      watchdog?.kill('SIGKILL');
      liveProcessKillers.delete(killNow);
      if (!stopping) {
        log(`Kafka broker ${description}`);
      }
      resolve(description);
    };
    child.once('exit', (code, signal) => onGone(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (error) => onGone(`could not be started: ${error.message}`));
  });

  return {
    recentOutput,
    exit,
    hasExited: () => exited,
    async terminate(signal) {
      if (exited) {
        return;
      }
      stopping = true;
      child.kill(signal);
      if (signal !== 'SIGKILL' && !(await settlesWithin(exit, STOP_GRACE_MS))) {
        log(`Kafka broker did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}; killing it`);
        child.kill('SIGKILL');
      }
      await exit;
    },
  };
}

/**
 * Kills the JVM when this Node process dies without running its 'exit' hooks (SIGKILL, a crashed
 * test worker): the watchdog's stdin is a pipe only Node holds, so it reads end-of-file then.
 */
function spawnWatchdog(child: ChildProcess, tempDataDir: string | undefined): ChildProcess | undefined {
  if (child.pid === undefined || process.platform === 'win32') {
    return undefined;
  }
  // The pause lets the killed JVM release its files before its temp dir is removed.
  const script = 'read -r _; kill -KILL "$0" 2>/dev/null; if [ -n "$1" ]; then sleep 1; rm -rf -- "$1"; fi';
  return spawn('sh', ['-c', script, String(child.pid), tempDataDir ?? ''], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
}

/** Registers a temp data dir, removed at exit if nothing removed it before. */
export function trackTempDataDir(dataDir: string): void {
  tempDataDirs.add(dataDir);
}

export async function removeTempDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  tempDataDirs.delete(dataDir);
}

function installExitHooks(): void {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  process.on('exit', cleanUpBeforeExit);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // Another listener (the local runtime's CLI) owns a graceful shutdown, which stops the broker;
      // the 'exit' hook remains the backstop.
      if (process.listenerCount(signal) > 1) {
        return;
      }
      cleanUpBeforeExit();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Synchronous, as 'exit' listeners must be; a signal re-raised by its default action emits no 'exit'. */
function cleanUpBeforeExit(): void {
  for (const killNow of liveProcessKillers) {
    killNow();
  }
  for (const dataDir of tempDataDirs) {
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
