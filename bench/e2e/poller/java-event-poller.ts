/**
 * The benchmark's event poller: EventPoller.java and MskEventWriter.java (Kafka's own Java consumer,
 * kafka-clients of the distribution local/infra/kafka fetches), compiled and run in a process of its own, invoking the execution environments
 * at their URLs. Started, watched and stopped from here; its protocol is in the Java file's header.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureKafkaDistribution } from '../../../local/infra/kafka/distribution.js';
import { firstLine, MissingPrerequisite } from '../../../local/support/prerequisite.js';

const SOURCES = ['EventPoller.java', 'MskEventWriter.java'].map((name) =>
  fileURLToPath(new URL(`./${name}`, import.meta.url)),
);
const execFileAsync = promisify(execFile);
/** A heap for two invocations' worth of records per partition and their events; one GC thread. */
export const POLLER_JVM_OPTIONS = ['-Xmx1g', '-XX:+UseSerialGC'];
/** How long the poller may take to finish its invocations in flight and commit after "stop". */
const STOP_GRACE_MS = 120_000;
/** The poller as the report names it. */
export const POLLER_DESCRIPTION =
  "an event poller on Kafka's own Java consumer (bench/e2e/poller/EventPoller.java: the ESM emulator's rules, " +
  "at a JVM's cost per record; `npm start` runs the kafkajs emulator, local/esm/)";

export interface PollerOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly groupId: string;
  readonly eventSourceArn: string;
  readonly batchSize: number;
  readonly windowMs: number;
  readonly maxBytes: number;
  /** The execution environments' invoke URLs: partition p goes to the (p mod n)-th. */
  readonly invokeUrls: readonly string[];
  readonly log: (line: string) => void;
  readonly onRetry?: (retry: PollerRetry) => void;
  /** The poller failed or exited before it was asked to stop. */
  readonly onFailure: (reason: string) => void;
}

export interface PollerRetry {
  readonly partition: number;
  readonly fromOffset: string;
  readonly attempt: number;
  readonly error: string;
}

export interface PollerStats {
  readonly invocations: number;
  readonly recordsCommitted: number;
  readonly retries: number;
  readonly rebalances: number;
  readonly functionErrors: number;
  readonly functionTimeouts: number;
}

type PollerLine =
  | { readonly type: 'ready' }
  | ({ readonly type: 'retry' } & PollerRetry)
  | ({ readonly type: 'stopped' } & PollerStats)
  | { readonly type: 'error'; readonly message: string };

export class JavaEventPoller {
  private stats: PollerStats | undefined;
  private stopping: Promise<PollerStats | undefined> | undefined;
  private failed: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** Resolves once the process has exited and its output is read, its classes removed. */
    private readonly closed: Promise<void>,
  ) {}

  static async start(options: PollerOptions): Promise<JavaEventPoller> {
    const lib = await ensureKafkaDistribution(options.log);
    // Two source files: Java 17's single-file launcher would take one. A second or two of javac per start.
    const classes = await mkdtemp(join(tmpdir(), 'treasury-bench-poller-'));
    await compile(classes, lib).catch(async (error: unknown) => {
      await rm(classes, { recursive: true, force: true });
      throw error;
    });
    const child = spawn(
      'java',
      [
        ...POLLER_JVM_OPTIONS,
        // e.g. "-XX:StartFlightRecording=filename=.cache/poller.jfr" profiles it (JDK Flight Recorder).
        ...(process.env.BENCH_POLLER_JVM_FLAGS?.split(' ').filter(Boolean) ?? []),
        '-cp',
        `${classes}:${lib}/*`,
        'EventPoller',
        options.brokers.join(','),
        options.topic,
        options.groupId,
        options.eventSourceArn,
        String(options.batchSize),
        String(options.windowMs),
        String(options.maxBytes),
        options.invokeUrls.join(','),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      if (stderr.length > 50) stderr.shift();
    });
    // A poller that exits while we write its stop must not take the worker with it.
    child.stdin?.on('error', () => undefined);
    // 'close', not 'exit': by then its last lines (its counts, its error) have been read.
    const closed = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`the Java event poller could not start: ${error.message}`));
      child.once('close', (code, signal) =>
        resolve(`the Java event poller exited (${signal ?? `code ${code}`})`),
      );
    }).then(async (how) => {
      poller.failed ??= `${how}: ${stderr.join('').slice(-500)}`;
      await rm(classes, { recursive: true, force: true });
    });
    const poller = new JavaEventPoller(child, closed);
    let started = false;
    const ready = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
        const line = parseLine(text);
        if (line?.type === 'ready') resolve();
        else if (line?.type === 'retry') options.onRetry?.(line);
        else if (line?.type === 'stopped') poller.stats = line;
        else if (line?.type === 'error') poller.failed = `the Java event poller: ${line.message}`;
      });
      void closed.then(() => {
        reject(new Error(poller.failed));
        if (started && poller.stopping === undefined)
          options.onFailure(poller.failed ?? 'the Java event poller exited');
      });
    });
    try {
      await ready;
      started = true;
    } catch (error) {
      child.kill('SIGKILL');
      await closed;
      throw error;
    }
    options.log(`consumer: the Java event poller (pid ${child.pid}) joined group ${options.groupId}`);
    return poller;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Why it stopped working, or undefined. */
  failure(): string | undefined {
    return this.failed;
  }

  /**
   * Asks it to finish its invocations in flight and commit; its counts, or undefined if it had exited
   * already or had to be killed. Called again, the same answer.
   */
  stop(): Promise<PollerStats | undefined> {
    this.stopping ??= (async () => {
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.stdin?.end('stop\n');
      await this.closed;
      clearTimeout(timer);
      return this.stats;
    })();
    return this.stopping;
  }
}

/** javac into `classes`; a missing javac or a compile error as one line. */
async function compile(classes: string, lib: string): Promise<void> {
  try {
    await execFileAsync('javac', ['-d', classes, '-cp', `${lib}/*`, ...SOURCES]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MissingPrerequisite(
        "the benchmark's event poller is compiled with `javac`, which was not found on PATH",
        'install a JDK 17+ (apt-get install openjdk-17-jdk-headless; macOS: brew install openjdk@17)',
      );
    }
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`javac refused the benchmark's event poller: ${firstLine(stderr)}`);
  }
}

function parseLine(text: string): PollerLine | undefined {
  try {
    return JSON.parse(text) as PollerLine;
  } catch {
    return undefined;
  }
}
