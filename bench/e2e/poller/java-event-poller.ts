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
  private stopped: ((stats: PollerStats) => void) | undefined;
  private stopping = false;
  private failed: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly classes: string,
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
    const poller = new JavaEventPoller(child, classes);
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      if (stderr.length > 50) stderr.shift();
    });
    let started = false;
    const ready = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (text) => {
        const line = parseLine(text);
        if (line?.type === 'ready') resolve();
        else if (line?.type === 'retry') options.onRetry?.(line);
        else if (line?.type === 'stopped') poller.stopped?.(line);
        else if (line?.type === 'error') poller.failed = `the Java event poller: ${line.message}`;
      });
      child.once('exit', (code, signal) => {
        poller.failed ??= `the Java event poller exited (${signal ?? `code ${code}`}): ${stderr.join('').slice(-500)}`;
        reject(new Error(poller.failed));
        if (started && !poller.stopping) options.onFailure(poller.failed);
      });
    });
    try {
      await ready;
      started = true;
    } catch (error) {
      child.kill('SIGKILL');
      await rm(classes, { recursive: true, force: true });
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

  /** Asks it to finish its invocations in flight and commit; its counts, or undefined if it had to be killed. */
  async stop(): Promise<PollerStats | undefined> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return undefined;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const stats = new Promise<PollerStats>((resolve) => {
      this.stopped = resolve;
    });
    this.child.stdin?.end('stop\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    const result = await Promise.race([stats, exited.then(() => undefined)]);
    await exited;
    clearTimeout(timer);
    await rm(this.classes, { recursive: true, force: true });
    return result;
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
