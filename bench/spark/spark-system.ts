/**
 * The Spark peer as a system under test: the job in a JVM of its own, local mode, talking to the
 * harness in JSON lines on its stdout (SparkEvent), stopped by closing its stdin.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type pg from 'pg';
import { diffTotals, type Totals } from '../../local/verify/totals.js';
import { stopChild } from '../e2e/child-processes.js';
import { BENCH_TOPIC, WINDOW_MS } from '../e2e/plan.js';
import type { BenchServices } from '../e2e/services.js';
import type { StreamingSystem } from '../e2e/streaming-system.js';
import { readSparkTotals } from './schema.js';

// Spark 3.5 on Java 17 reaches into JDK internals; these are the flags its own launcher adds
// (org.apache.spark.launcher.JavaModuleOptions).
const SPARK_JAVA17_FLAGS = [
  '-XX:+IgnoreUnrecognizedVMOptions',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.invoke=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.cs=ALL-UNNAMED',
  '--add-opens=java.base/sun.security.action=ALL-UNNAMED',
  '--add-opens=java.base/sun.util.calendar=ALL-UNNAMED',
  '-Djdk.reflect.useDirectMethodHandle=false',
  '-Dio.netty.tryReflectionSetAccessible=true',
];
export const SPARK_HEAP = '-Xmx2g';

type SparkEvent =
  | { readonly event: 'started'; readonly at: number }
  | { readonly event: 'batch'; readonly batchId: number; readonly records: number; readonly ms: number }
  | { readonly event: 'failed' | 'stop-failed'; readonly message: string }
  | { readonly event: 'stopped' };

/** The Spark job in a JVM of its own, local mode on all cores. */
export class SparkPeerSystem implements StreamingSystem {
  readonly name = 'Spark';
  readonly cpuRole = 'Spark (local mode)';
  readonly cpuParts = [this.cpuRole];

  cpuRoleOf(): string {
    return this.cpuRole;
  }
  readonly batchSchema = 'spark_peer';
  private child: ChildProcess | undefined;
  private checkpointDir: string | undefined;
  private readonly recentOutput: string[] = [];
  private exited: string | undefined;
  private stopping = false;

  constructor(
    private readonly classpath: string,
    private readonly services: BenchServices,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<number> {
    const url = new URL(this.services.databaseUrl);
    this.checkpointDir = await mkdtemp(join(tmpdir(), 'spark-peer-checkpoint-'));
    const child = spawn(
      'java',
      [...SPARK_JAVA17_FLAGS, SPARK_HEAP, '-cp', this.classpath, 'treasury.bench.SparkPeer'],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: this.services.brokers.join(','),
          TOPIC: BENCH_TOPIC,
          JDBC_URL: `jdbc:postgresql://${url.host}${url.pathname}`,
          JDBC_USER: decodeURIComponent(url.username),
          JDBC_PASSWORD: decodeURIComponent(url.password),
          CHECKPOINT_DIR: join(this.checkpointDir, 'checkpoint'),
          TRIGGER_MS: String(WINDOW_MS),
          // The VM's hostname resolves to a loopback address, which Spark warns about at every start.
          SPARK_LOCAL_IP: '127.0.0.1',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.stopping = false;
    child.once('exit', (code, signal) => {
      if (!this.stopping) {
        this.exited = `Spark exited (${signal ?? `code ${code}`}):\n${this.recentOutput.slice(-15).join('\n')}`;
      }
    });
    if (!child.stdout || !child.stderr) throw new Error('Spark: no stdout/stderr pipes');
    const events: ((event: SparkEvent) => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.remember(line);
      let event: SparkEvent;
      try {
        event = JSON.parse(line) as SparkEvent;
      } catch {
        return;
      }
      if (event.event === 'failed' || event.event === 'stop-failed') this.log(`spark: ${event.message}`);
      for (const listener of events) listener(event);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.remember(line);
      if (/\b(WARN|ERROR)\b/.test(line)) this.log(`spark: ${line}`);
    });
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`Spark did not start its query within 180 s:\n${this.recentOutput.join('\n')}`));
      }, 180_000);
      events.push((event) => {
        if (event.event === 'started') {
          clearTimeout(timer);
          resolve(event.at);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `Spark exited (${signal ?? `code ${code}`}) before its query started:\n${this.recentOutput.join('\n')}`,
          ),
        );
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Spark could not be started: ${error.message}`));
      });
    });
  }

  private remember(line: string): void {
    this.recentOutput.push(line);
    if (this.recentOutput.length > 40) this.recentOutput.shift();
  }

  /** Closing stdin stops the query (the job watches it); SIGKILL if it has not gone in 60 s. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.stopping = true;
    if (child) await stopChild(child, 60_000, (c) => c.stdin?.end());
    if (this.checkpointDir) await rm(this.checkpointDir, { recursive: true, force: true });
    this.checkpointDir = undefined;
  }

  processIds(): readonly number[] {
    return this.child?.pid === undefined ? [] : [this.child.pid];
  }

  failure(): string | undefined {
    return this.exited;
  }

  async verify(db: pg.Client, truth: Totals): Promise<string[]> {
    return diffTotals(truth, await readSparkTotals(db), 'produced', 'spark_peer.transaction_flow');
  }
}
