/**
 * Benchmark section 3 (issue 5): the pipeline end to end on this machine. Producers → a real Kafka
 * broker → the ESM emulator → the aggregator's bundle under the Lambda runtime → a real PostgreSQL, at the highest rate it
 * sustains, and its produce-to-commit latency at 10, 50 and 80 % of that rate, read from what the
 * handler wrote: applied_batch.committed_at and the 5 ms histogram of the records' Kafka timestamps.
 *
 * The harness (producer processes, the steps, latency from batch histograms, CPU per process) is shared
 * with bench/spark.ts, which puts the tutorial's Spark job through the same steps.
 *
 *   npx tsx bench/e2e.ts [--quick]      prints the section's markdown
 *
 * Producers and the consumer run in child processes of their own (this file, with BENCH_E2E_ROLE set):
 * on two cores a producer in the consumer's event loop would slow the very thing measured, and the
 * handler reads its configuration at module load, so it gets a fresh process with this run's database.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { MSKEvent } from 'aws-lambda';
import { CompressionTypes, Kafka, logLevel, Partitioners } from 'kafkajs';
import pg from 'pg';
import { migrate } from '../db/migrate.js';
import { HISTOGRAM_BUCKET_MS } from '../lambda/domain/aggregate.js';
import { type GeneratedTransaction, TransactionGenerator } from '../lambda/domain/generator.js';
import { toMessage, totalsKey } from '../lambda/producer/publish.js';
import { aggregatorFunction } from '../lib/function-definitions.js';
import { EsmEmulator } from '../local/esm/emulator.js';
import { createTopic, quietKafkaLogCreator, startKafkaBroker } from '../local/kafka/broker.js';
import { KAFKA_VERSION } from '../local/kafka/distribution.js';
import { LocalFunction, type LocalFunctionStats } from '../local/lambda/local-function.js';
import { startEmbeddedPostgres } from '../local/postgres/embedded.js';
import { diffTotals, readFlowTotals, readPositions, type Totals } from '../local/totals.js';
import { descendantsOf as processesBelow } from './proc-stat.js';

// ─── The section's interface, as bench/run.ts calls it ────────────────────────────────────────────

export interface SectionOptions {
  /** A short run for CI: the same steps, fewer and shorter. */
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

export interface SectionResult {
  readonly markdown: string;
  readonly figures: Record<string, number | string>;
}

/** The topic and its partitions, as the local runtime and the tutorial have them. */
export const BENCH_TOPIC = 'transaction';
export const BENCH_PARTITIONS = 3;
/** The batching window: the tutorial's 2 s trigger, the emulator's default. */
export const WINDOW_MS = 2_000;
/** The MSK mapping's largest batch size, which the local runtime uses by default. */
const BATCH_SIZE = 10_000;
/** Lambda's synchronous payload limit, which caps an MSK event. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** Issue 5's targets for this section. */
export const TARGET_RECORDS_PER_SECOND = 50_000;
export const TARGET_P99_AT_HALF_LOAD_MS = WINDOW_MS + 250;
/** Fractions of the sustained rate at which latency is reported. */
export const LOAD_FRACTIONS = [0.1, 0.5, 0.8] as const;

/** How long and how often: the full run stays under about 5 minutes per system, quick about 1. */
export interface BenchPlan {
  readonly producers: number;
  /** Records written before the consumer starts, to measure how fast it drains them. */
  readonly preloadRecords: number;
  /** Each step of the search for the sustained rate. */
  readonly stepMs: number;
  readonly maxSteps: number;
  /** The first step's rate, as a fraction of the lower of the catch-up rate and the producers' rate. */
  readonly firstStepFraction: number;
  /**
   * False: of the producers' rate alone. A short preload's catch-up rate is mostly the consumer's
   * start-up, far below what it sustains, and two quick steps cannot climb from there.
   */
  readonly seedFromCatchUp: boolean;
  /** Each latency measurement at 10, 50 and 80 %. */
  readonly latencyPhaseMs: number;
}

export function benchPlan(quick: boolean): BenchPlan {
  return quick
    ? {
        producers: 2,
        preloadRecords: 100_000,
        stepMs: 8_000,
        maxSteps: 2,
        firstStepFraction: 0.5,
        seedFromCatchUp: false,
        latencyPhaseMs: 5_000,
      }
    : {
        producers: 2,
        preloadRecords: 1_000_000,
        stepMs: 15_000,
        maxSteps: 7,
        // The producers' own rate is measured with the machine to themselves; beside a consumer they
        // reach about two thirds of it.
        firstStepFraction: 0.7,
        seedFromCatchUp: true,
        latencyPhaseMs: 15_000,
      };
}

// ─── Latency from what the consumer wrote (pure) ──────────────────────────────────────────────────

/** What a consumer wrote about one batch: when it committed, and its records' Kafka timestamps. */
export interface BatchTiming {
  readonly committedAt: number;
  readonly recordCount: number;
  /** Start of histogram bucket 0 (epoch ms). */
  readonly firstRecordTime: number;
  /** Records per HISTOGRAM_BUCKET_MS of Kafka timestamp from firstRecordTime on. */
  readonly histogram: readonly number[];
}

/** Latencies in whole milliseconds with a count each: a few thousand values stand for millions of records. */
export class LatencySample {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private sorted: [number, number][] | undefined;

  add(latencyMs: number, count: number): void {
    if (count <= 0) return;
    const key = Math.round(latencyMs);
    this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    this.total += count;
    this.sorted = undefined;
  }

  get count(): number {
    return this.total;
  }

  /** Nearest rank: the smallest latency that at least the fraction p of the records do not exceed. */
  percentile(p: number): number | undefined {
    if (this.total === 0) return undefined;
    this.sorted ??= [...this.counts].sort((a, b) => a[0] - b[0]);
    const rank = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (const [latency, count] of this.sorted) {
      seen += count;
      if (seen >= rank) return latency;
    }
    return this.sorted[this.sorted.length - 1]?.[0];
  }
}

/**
 * Latency produce → commit of the records produced in [from, to): committedAt − (firstRecordTime +
 * bucket × 5 ms). Each record counts from the start of its bucket, so a figure is at most 5 ms high.
 */
export function latencySample(batches: readonly BatchTiming[], from: number, to: number): LatencySample {
  const sample = new LatencySample();
  for (const batch of batches) {
    batch.histogram.forEach((count, bucket) => {
      const producedAt = batch.firstRecordTime + bucket * HISTOGRAM_BUCKET_MS;
      if (count > 0 && producedAt >= from && producedAt < to)
        sample.add(batch.committedAt - producedAt, count);
    });
  }
  return sample;
}

/**
 * How much the age of each batch's oldest record at its commit (committed_at − first_record_time) grew
 * over [from, to), by a least-squares line through the batches whose oldest record was produced then.
 * A consumer that keeps up commits every batch at about the same age (window or trigger, plus its
 * work); one slower than the offered rate falls behind steadily, so the age grows by (1 − capacity /
 * rate) per second. Unlike the latency of single records, which rises and falls with every window
 * (a sawtooth), the oldest record's age is flat when all is well, so a short step can be judged.
 */
export function oldestAgeGrowth(
  batches: readonly BatchTiming[],
  from: number,
  to: number,
): { readonly growthMs: number; readonly medianAgeMs: number; readonly batches: number } | undefined {
  const points = batches
    .filter((batch) => batch.firstRecordTime >= from && batch.firstRecordTime < to)
    .map((batch) => ({ x: batch.committedAt, y: batch.committedAt - batch.firstRecordTime }));
  if (points.length < 3) return undefined;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const p of points) {
    covariance += (p.x - meanX) * (p.y - meanY);
    variance += (p.x - meanX) ** 2;
  }
  if (variance === 0) return undefined;
  const ages = points.map((p) => p.y).sort((a, b) => a - b);
  const medianAgeMs = ages[Math.floor(ages.length / 2)] ?? 0;
  return { growthMs: (covariance / variance) * (to - from), medianAgeMs, batches: points.length };
}

export interface SteadyVerdict {
  readonly sustained: boolean;
  /** What stopped it: the producers could not offer the rate, or the consumer fell behind. */
  readonly limitedBy: 'producers' | 'consumer' | undefined;
  readonly reason: string;
}

/** The producers must offer at least this share of the rate asked for the step to count. */
export const MIN_DELIVERED_SHARE = 0.97;

/**
 * A batch's oldest record waits at most one window (or trigger) to be batched, plus the batch's work:
 * when the median batch commits its oldest record later than two windows and a second, records are
 * queueing, even if the queue happens not to grow during the step.
 */
export const MAX_MEDIAN_OLDEST_AGE_MS = 2 * WINDOW_MS + 1_000;

/**
 * A rate is sustained when the producers offered it, everything was committed soon after they
 * stopped, the oldest record's age at commit did not grow across the step by more than 5 % of the
 * step (a consumer at least 95 % as fast as the rate) or half a window (where in its window or
 * trigger a batch's first record fell moves its age by up to a window; a short step sees few
 * batches), and the median batch's oldest record was at most MAX_MEDIAN_OLDEST_AGE_MS old at its commit.
 */
export function judgeSteadyPhase(input: {
  readonly offeredRate: number;
  readonly deliveredRate: number;
  readonly drained: boolean;
  readonly spanMs: number;
  readonly growthMs: number | undefined;
  readonly medianAgeMs: number | undefined;
}): SteadyVerdict {
  const { offeredRate, deliveredRate, drained, spanMs, growthMs, medianAgeMs } = input;
  if (!drained) {
    return {
      sustained: false,
      limitedBy: 'consumer',
      reason: 'not everything was committed in time after the producers stopped',
    };
  }
  if (deliveredRate < MIN_DELIVERED_SHARE * offeredRate) {
    return {
      sustained: false,
      limitedBy: 'producers',
      reason: `the producers offered only ${formatCount(deliveredRate)} records/s`,
    };
  }
  if (growthMs === undefined || medianAgeMs === undefined) {
    return { sustained: false, limitedBy: undefined, reason: 'too few batches to judge' };
  }
  const allowance = Math.max(WINDOW_MS / 2, 0.05 * spanMs);
  if (growthMs > allowance) {
    return {
      sustained: false,
      limitedBy: 'consumer',
      reason: `the consumer fell behind: its oldest record's age at commit grew by ${formatCount(growthMs)} ms over the step`,
    };
  }
  if (medianAgeMs > MAX_MEDIAN_OLDEST_AGE_MS) {
    return {
      sustained: false,
      limitedBy: 'consumer',
      reason: `records queued: the median batch committed its oldest record ${formatCount(medianAgeMs)} ms after it was produced`,
    };
  }
  return { sustained: true, limitedBy: undefined, reason: 'kept up' };
}

/**
 * How fast a consumer catches up on a preloaded topic from a cold start, the same way for every
 * system: the records committed up to the batch that reaches 90 % of them, over the time from the
 * consumer's start to that commit. Start-up (joining the group, planning the first batch) counts, as
 * it does after an outage; the last 10 % is left out because its partly filled batches wait for the
 * window. `peakRate` (from the first commit to the 90 % one) is given when there were at least three
 * batches in between: Spark's first micro-batch takes all there is, so it has none.
 */
export function drainRate(
  commits: readonly { readonly committedAt: number; readonly recordCount: number }[],
  startedAt: number,
): { readonly rate: number; readonly peakRate: number | undefined } {
  const sorted = [...commits].sort((a, b) => a.committedAt - b.committedAt);
  const total = sorted.reduce((sum, commit) => sum + commit.recordCount, 0);
  const first = sorted[0];
  if (!first) return { rate: 0, peakRate: undefined };
  let committed = 0;
  for (const [index, commit] of sorted.entries()) {
    committed += commit.recordCount;
    if (committed < 0.9 * total) continue;
    const rate = (1000 * committed) / Math.max(1, commit.committedAt - startedAt);
    const sinceFirst = commit.committedAt - first.committedAt;
    const peakRate =
      index >= 3 && sinceFirst > 0 ? (1000 * (committed - first.recordCount)) / sinceFirst : undefined;
    return { rate, peakRate };
  }
  return { rate: 0, peakRate: undefined };
}

/** CPU milliseconds a role spent per 1,000 records at a step's offered rate. */
export function cpuMsPerThousand(
  sharePercent: number | undefined,
  ratePerSecond: number,
): number | undefined {
  if (sharePercent === undefined || ratePerSecond <= 0) return undefined;
  return (10 * sharePercent) / (ratePerSecond / 1000);
}

/**
 * The next rate to try in the search for the highest sustained rate: while every step failed, down by
 * `factor`; while every step held, up by 1/`factor` (never past `ceiling`, the producers' own rate);
 * once a held rate and a failed one above it bracket the answer, halfway between them until they are
 * within 10 %. Undefined when the search is over.
 */
export function nextStepRate(
  tried: readonly { readonly rate: number; readonly held: boolean }[],
  ceiling: number,
  factor = 0.85,
): number | undefined {
  if (tried.length === 0) return undefined;
  const held = tried.filter((step) => step.held).map((step) => step.rate);
  const highestHeld = held.length > 0 ? Math.max(...held) : undefined;
  // A failure below a held rate is noise (a busy moment on the machine): it brackets nothing.
  const failed = tried
    .filter((step) => !step.held && (highestHeld === undefined || step.rate > highestHeld))
    .map((step) => step.rate);
  const lowestFailed = failed.length > 0 ? Math.min(...failed) : undefined;
  let next: number;
  if (highestHeld !== undefined && lowestFailed !== undefined) {
    if (lowestFailed <= highestHeld * 1.1) return undefined;
    next = (highestHeld + lowestFailed) / 2;
  } else if (highestHeld !== undefined) {
    if (highestHeld >= ceiling) return undefined;
    next = Math.min(highestHeld / factor, ceiling);
  } else {
    next = Math.min(...tried.map((step) => step.rate)) * factor;
  }
  const rounded = roundRate(next);
  return tried.some((step) => step.rate === rounded) ? undefined : rounded;
}

function roundRate(rate: number): number {
  return Math.max(1_000, Math.round(rate / 1_000) * 1_000);
}

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function formatMs(value: number | undefined): string {
  return value === undefined ? '–' : formatCount(value);
}

// ─── CPU time per process, from /proc ─────────────────────────────────────────────────────────────

const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcessTicks {
  readonly ppid: number;
  readonly comm: string;
  readonly ticks: number;
}

function readProcesses(): Map<number, ProcessTicks> {
  const processes = new Map<number, ProcessTicks>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // After the comm: state ppid … utime (field 14 of the line, 12th here) stime.
      processes.set(Number(entry), {
        ppid: Number(fields[1]),
        comm,
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return processes;
}

function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = (user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0);
  return { busy, total: busy + (idle ?? 0) + (iowait ?? 0) };
}

/** The role of what the rest of the machine used: other engineers' tests and soaks. */
export const OTHER_WORK = 'other work on the machine';

/** CPU used during a step, in % of one core, by role; the machine has cpus().length × 100 %. */
export type CpuShares = Record<string, number>;

/**
 * Measures the CPU of this process's descendants by role (`label` names them), and what the rest of the
 * machine used meanwhile: other engineers' tests and soaks share these two cores.
 */
export class CpuMeter {
  private before: {
    processes: Map<number, ProcessTicks>;
    machine: { busy: number; total: number };
    at: number;
  };

  constructor(private readonly label: (pid: number, comm: string) => string) {
    this.before = { processes: readProcesses(), machine: machineTicks(), at: Date.now() };
  }

  restart(): void {
    this.before = { processes: readProcesses(), machine: machineTicks(), at: Date.now() };
  }

  read(): CpuShares {
    const processes = readProcesses();
    const machine = machineTicks();
    const seconds = (Date.now() - this.before.at) / 1000;
    const ours = descendantsOf(process.pid, processes);
    const shares: CpuShares = {};
    let oursTicks = 0;
    for (const pid of ours) {
      const now = processes.get(pid);
      if (!now) continue;
      const ticks = now.ticks - (this.before.processes.get(pid)?.ticks ?? 0);
      oursTicks += ticks;
      const role = this.label(pid, now.comm);
      shares[role] = (shares[role] ?? 0) + (100 * ticks) / CLOCK_TICKS_PER_SECOND / seconds;
    }
    // /proc/stat counts every core: its busy ticks over the interval, less ours, is everyone else's.
    const machineBusy = machine.busy - this.before.machine.busy;
    const machineTotal = machine.total - this.before.machine.total;
    const coreShare = machineTotal > 0 ? (100 * cpus().length * machineBusy) / machineTotal : 0;
    const oursShare = (100 * oursTicks) / CLOCK_TICKS_PER_SECOND / seconds;
    shares[OTHER_WORK] = Math.max(0, coreShare - oursShare);
    return shares;
  }
}

function descendantsOf(root: number, processes: Map<number, ProcessTicks>): Set<number> {
  const children = new Map<number, number[]>();
  for (const [pid, info] of processes) {
    const siblings = children.get(info.ppid) ?? [];
    siblings.push(pid);
    children.set(info.ppid, siblings);
  }
  const found = new Set<number>([root]);
  const queue = [root];
  for (let pid = queue.pop(); pid !== undefined; pid = queue.pop()) {
    for (const child of children.get(pid) ?? []) {
      if (!found.has(child)) {
        found.add(child);
        queue.push(child);
      }
    }
  }
  return found;
}

export function formatCpu(shares: CpuShares): string {
  return Object.entries(shares)
    .filter(([, share]) => share >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([role, share]) => `${role} ${Math.round(share)} %`)
    .join(', ');
}

// ─── The broker and the database ──────────────────────────────────────────────────────────────────

export interface BenchServices {
  readonly brokers: readonly string[];
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * A real Kafka broker and an embedded PostgreSQL started for this run only (never KAFKA_BROKERS or
 * DATABASE_URL: the figures assume a topic holding only this run's records), the topic, the schema.
 */
export async function startBenchServices(log: (line: string) => void): Promise<BenchServices> {
  const [kafka, database] = await Promise.allSettled([
    // 1 GB: the broker holds a few million records in its page cache and index, not its heap, but
    // gzip decompression for validation allocates per batch.
    startKafkaBroker({ log: (line) => log(`kafka: ${line}`), heapMb: 1024 }),
    startEmbeddedPostgres(),
  ]);
  const stop = async () => {
    if (kafka.status === 'fulfilled') await kafka.value.stop().catch(() => undefined);
    if (database.status === 'fulfilled') await database.value.stop().catch(() => undefined);
  };
  if (kafka.status === 'rejected' || database.status === 'rejected') {
    await stop();
    throw kafka.status === 'rejected' ? kafka.reason : (database as PromiseRejectedResult).reason;
  }
  try {
    await createTopic(kafka.value.brokers, BENCH_TOPIC, BENCH_PARTITIONS);
    const client = new pg.Client({ connectionString: database.value.url });
    await client.connect();
    try {
      await migrate(client);
    } finally {
      await client.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { brokers: kafka.value.brokers, databaseUrl: database.value.url, stop };
}

// ─── Producers, in child processes ────────────────────────────────────────────────────────────────

type ProduceCommand = {
  readonly type: 'produce';
  readonly id: number;
  readonly records: number;
  /** Undefined: as fast as the producer goes. */
  readonly ratePerSecond: number | undefined;
};

type ProducerMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'produced';
      readonly id: number;
      readonly sent: number;
      readonly startedAt: number;
      readonly endedAt: number;
      /** [branch|currency, sum in whole units, count]: the amounts the generator makes are whole. */
      readonly totals: [string, number, number][];
    }
  | { readonly type: 'error'; readonly message: string };

export interface ProduceResult {
  readonly sent: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Records acknowledged per second of the run. */
  readonly rate: number;
}

// One request carries at most this many records: about 400 KB of JSON, under 100 KB gzipped, well
// inside the broker's 1 MB batch limit; large enough that gzip and the request overhead amortize.
const MAX_RECORDS_PER_SEND = 10_000;
const PRODUCER_TICK_MS = 100;

const selfPath = fileURLToPath(import.meta.url);

function forkRole(role: 'producer' | 'consumer', env: Record<string, string>): ChildProcess {
  return fork(selfPath, [], {
    // BENCH_CHILD_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=.cache/profiles") profiles the children.
    execArgv: [
      '--import',
      import.meta.resolve('tsx'),
      ...(process.env.BENCH_CHILD_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
    ],
    env: { ...process.env, ...env, BENCH_E2E_ROLE: role },
    // Their stdout goes to stderr too: a standalone run's stdout is the markdown alone.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
}

function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  accept: (message: T) => boolean,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: T) => {
      if ((message as { type: string }).type === 'error') {
        cleanUp();
        reject(new Error(`${what}: ${(message as unknown as { message: string }).message}`));
      } else if (accept(message)) {
        cleanUp();
        resolve(message);
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

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Producer processes (kafkajs, idempotent, gzip, key = branch, as lambda/producer) sending the
 * generator's deals. Each has a fixed seed, so every system is fed the same sequence of deals.
 */
export class ProducerFleet {
  /** What the broker acknowledged so far: the ground truth of the aggregates. */
  readonly totals: Totals = new Map();
  produced = 0;
  private commands = 0;

  private constructor(private readonly children: readonly ChildProcess[]) {}

  static async start(count: number, brokers: readonly string[], topic: string): Promise<ProducerFleet> {
    const children = Array.from({ length: count }, (_, index) =>
      forkRole('producer', {
        KAFKA_BROKERS: brokers.join(','),
        BENCH_TOPIC: topic,
        BENCH_PRODUCER_INDEX: String(index),
      }),
    );
    const fleet = new ProducerFleet(children);
    try {
      await Promise.all(
        children.map((child, index) =>
          nextMessage<ProducerMessage>(child, (m) => m.type === 'ready', `producer ${index}`),
        ),
      );
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  get pids(): number[] {
    return this.children.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  /** Sends `records` in all, shared among the producers, at `ratePerSecond` in all (or flat out). */
  async produce(records: number, ratePerSecond: number | undefined): Promise<ProduceResult> {
    const id = ++this.commands;
    const n = this.children.length;
    const results = await Promise.all(
      this.children.map((child, index) => {
        const share = Math.floor(records / n) + (index < records % n ? 1 : 0);
        const reply = nextMessage<ProducerMessage>(
          child,
          (m) => m.type === 'produced' && m.id === id,
          `producer ${index}`,
        );
        const command: ProduceCommand = {
          type: 'produce',
          id,
          records: share,
          ratePerSecond: ratePerSecond === undefined ? undefined : ratePerSecond / n,
        };
        child.send(command);
        return reply;
      }),
    );
    let sent = 0;
    let startedAt = Number.POSITIVE_INFINITY;
    let endedAt = 0;
    for (const result of results) {
      if (result.type !== 'produced') continue;
      sent += result.sent;
      startedAt = Math.min(startedAt, result.startedAt);
      endedAt = Math.max(endedAt, result.endedAt);
      for (const [key, sum, count] of result.totals) {
        const entry = this.totals.get(key) ?? { sum: 0n, count: 0 };
        entry.sum += BigInt(sum) * 100n;
        entry.count += count;
        this.totals.set(key, entry);
      }
    }
    this.produced += sent;
    return { sent, startedAt, endedAt, rate: (1000 * sent) / Math.max(1, endedAt - startedAt) };
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChild(child, 10_000)));
  }
}

async function producerWorker(): Promise<void> {
  const brokers = requiredEnv('KAFKA_BROKERS').split(',');
  const topic = requiredEnv('BENCH_TOPIC');
  const index = Number(requiredEnv('BENCH_PRODUCER_INDEX'));
  const kafka = new Kafka({
    clientId: `bench-producer-${index}`,
    brokers,
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  });
  // As lambda/producer: idempotent, one request in flight (so retries neither duplicate nor reorder).
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const generator = new TransactionGenerator({ seed: 1_000 + index, idPrefix: `bench-${index}` });
  const send = (message: ProducerMessage) => process.send?.(message);

  let queue = Promise.resolve();
  process.on('message', (command: ProduceCommand) => {
    queue = queue.then(async () => {
      try {
        send(await produceRun(producer, generator, topic, command));
      } catch (error) {
        send({ type: 'error', message: (error as Error).message });
      }
    });
  });
  process.on('disconnect', () => {
    void queue.then(() => producer.disconnect()).finally(() => process.exit(0));
  });
  send({ type: 'ready' });
}

/** Sends everything due at each tick (so a slow request is caught up on, not lost), in requests of ≤ 4,000. */
async function produceRun(
  producer: { send: import('kafkajs').Producer['send'] },
  generator: TransactionGenerator,
  topic: string,
  command: ProduceCommand,
): Promise<ProducerMessage> {
  const totals = new Map<string, [number, number]>();
  const startedAt = Date.now();
  let sent = 0;
  while (sent < command.records) {
    const now = Date.now();
    const due =
      command.ratePerSecond === undefined
        ? command.records
        : Math.min(command.records, Math.floor(((now - startedAt) * command.ratePerSecond) / 1000));
    if (due <= sent) {
      await sleep(PRODUCER_TICK_MS);
      continue;
    }
    const deals: GeneratedTransaction[] = [];
    for (let i = Math.min(due - sent, MAX_RECORDS_PER_SEND); i > 0; i--) deals.push(generator.next(now));
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: deals.map(toMessage) });
    for (const deal of deals) {
      const key = totalsKey(deal.branch, deal.currency);
      const entry = totals.get(key) ?? [0, 0];
      entry[0] += deal.amount;
      entry[1]++;
      totals.set(key, entry);
    }
    sent += deals.length;
  }
  return {
    type: 'produced',
    id: command.id,
    sent,
    startedAt,
    endedAt: Date.now(),
    totals: [...totals].map(([key, [sum, count]]) => [key, sum, count]),
  };
}

// ─── The systems under test ───────────────────────────────────────────────────────────────────────

/** A streaming consumer the harness measures: ours, or the Spark peer. */
export interface StreamingSystem {
  readonly name: string;
  /** What its processes are called in the CPU figures. */
  readonly cpuRole: string;
  /** The table where it writes a row per batch: committed_at, record_count, first_record_time, … */
  readonly batchTable: string;
  /** Starts reading the topic from its beginning; resolves to the moment it began (epoch ms). */
  start(): Promise<number>;
  stop(): Promise<void>;
  /** Its processes, whose CPU is reported as its own. */
  processIds(): readonly number[];
  /** Differences between what it wrote and the producers' ground truth; empty when exact. */
  verify(db: pg.Client, truth: Totals): Promise<string[]>;
  /** Why it can no longer work (its process died), or undefined. */
  failure(): string | undefined;
}

type ConsumerMessage =
  | { readonly type: 'starting'; readonly at: number }
  | { readonly type: 'retry'; readonly message: string }
  | {
      readonly type: 'stopped';
      readonly invocations: number;
      readonly retries: number;
      readonly rebalances: number;
      readonly coldStarts: number;
      readonly functionErrors: number;
      readonly functionTimeouts: number;
    }
  | { readonly type: 'error'; readonly message: string };

/** The ESM emulator, in a process of its own, invoking the aggregator under the Lambda runtime (LocalFunction). */
export class AggregatorConsumer implements StreamingSystem {
  readonly name = 'treasury-stream';
  readonly cpuRole = 'consumer (ESM emulator, Lambda runtime emulators, aggregator functions)';
  readonly batchTable = 'applied_batch';
  private child: ChildProcess | undefined;
  private exited: string | undefined;
  private stopping = false;
  private tree: { readonly at: number; readonly pids: readonly number[] } | undefined;

  constructor(
    private readonly services: BenchServices,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<number> {
    const child = forkRole('consumer', {
      DATABASE_URL: this.services.databaseUrl,
      KAFKA_BROKERS: this.services.brokers.join(','),
      BENCH_TOPIC: BENCH_TOPIC,
    });
    this.child = child;
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.exited = `the consumer process exited (${signal ?? `code ${code}`})`;
    });
    child.on('message', (message: ConsumerMessage) => {
      if (message.type === 'retry') this.log(`consumer: ${message.message}`);
    });
    const starting = await nextMessage<ConsumerMessage>(child, (m) => m.type === 'starting', 'consumer');
    return starting.type === 'starting' ? starting.at : Date.now();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.connected) return;
    this.stopping = true;
    const stopped = nextMessage<ConsumerMessage>(child, (m) => m.type === 'stopped', 'consumer').catch(
      () => undefined,
    );
    child.send({ type: 'stop' });
    const report = await Promise.race([stopped, sleep(30_000)]);
    if (report?.type === 'stopped') {
      this.log(
        `consumer: ${report.invocations} invocations, ${report.retries} retries, ${report.rebalances} group joins; ` +
          `aggregator: ${report.coldStarts} cold starts, ${report.functionErrors} errors, ${report.functionTimeouts} timeouts`,
      );
    }
    await stopChild(child, 5_000);
  }

  /** The ESM emulator's process and what it started: the runtime emulators and the functions' processes. */
  processIds(): readonly number[] {
    const pid = this.child?.pid;
    if (pid === undefined) return [];
    const now = Date.now();
    // The labeller asks once per process of a reading: the tree is read again at most once a second.
    if (this.tree === undefined || now - this.tree.at > 1_000) {
      this.tree = { at: now, pids: [pid, ...processesBelow(pid)] };
    }
    return this.tree.pids;
  }

  failure(): string | undefined {
    return this.exited;
  }

  async verify(db: pg.Client, truth: Totals): Promise<string[]> {
    const positions = await readPositions(db);
    return [
      ...diffTotals(truth, positions, 'produced', 'currency_position'),
      ...diffTotals(positions, await readFlowTotals(db), 'currency_position', 'transaction_flow'),
    ];
  }
}

function functionStats(stats: LocalFunctionStats) {
  return { coldStarts: stats.coldStarts, functionErrors: stats.errors, functionTimeouts: stats.timeouts };
}

async function consumerWorker(): Promise<void> {
  const send = (message: ConsumerMessage) => process.send?.(message);
  // The aggregator as Lambda runs it: its bundle under the Runtime Interface Emulator and the runtime
  // client, one execution environment per partition (the mapping's concurrency), configured as the
  // stack configures it: JSON logs and EMF metrics on, read from its stdout and dropped here.
  const aggregator = await LocalFunction.create({
    definition: aggregatorFunction(),
    localEnvironment: { DATABASE_URL: requiredEnv('DATABASE_URL') },
    maxConcurrency: BENCH_PARTITIONS,
  });
  const brokers = requiredEnv('KAFKA_BROKERS').split(',');
  const kafka = new Kafka({
    clientId: 'esm-emulator',
    brokers,
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  });
  const admin = kafka.admin();
  await admin.connect();
  const { clusterId } = await admin.describeCluster();
  await admin.disconnect();
  const emulator = new EsmEmulator({
    kafka,
    topic: requiredEnv('BENCH_TOPIC'),
    groupId: 'treasury-stream-bench',
    eventSourceArn: `arn:aws:kafka:local:000000000000:cluster/treasury-stream-bench/${clusterId}`,
    bootstrapServers: brokers.join(','),
    limits: { batchSize: BATCH_SIZE, windowMs: WINDOW_MS, maxBytes: MAX_EVENT_BYTES },
    startingPosition: 'TRIM_HORIZON',
    invoke: (event: MSKEvent) => aggregator.invoke(event),
    onRetry: (info) =>
      send({
        type: 'retry',
        message: `partition ${info.partition} from offset ${info.fromOffset} failed (attempt ${info.attempt}): ${(info.error as Error).message}`,
      }),
  });
  process.on('message', (message: { type: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await emulator.stop();
      await aggregator.stop();
      send({ type: 'stopped', ...emulator.stats, ...functionStats(aggregator.stats) });
      process.exit(0);
    })();
  });
  process.on('disconnect', () => {
    void aggregator.stop().finally(() => process.exit(1));
  });
  send({ type: 'starting', at: Date.now() });
  await emulator.start();
}

// ─── The steps, the same for every system ─────────────────────────────────────────────────────────

export interface PhaseResult {
  readonly offeredRate: number;
  readonly deliveredRate: number;
  readonly durationMs: number;
  /** Records whose latency was measured (those produced in the step). */
  readonly measured: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly maxMs: number | undefined;
  /** Growth of the oldest record's age at commit over the step, and its median (see oldestAgeGrowth). */
  readonly growthMs: number | undefined;
  readonly medianAgeMs: number | undefined;
  readonly batches: number;
  readonly cpu: CpuShares;
  readonly verdict: SteadyVerdict;
}

export interface SystemMeasurement {
  readonly system: string;
  readonly cpuRole: string;
  readonly plan: BenchPlan;
  readonly preloadRecords: number;
  /** The producers alone (the consumer not yet started), records/s. */
  readonly producerRate: number;
  /** The consumer alone on a preloaded topic, from a cold start (see drainRate). */
  readonly drainRate: number;
  readonly drainPeakRate: number | undefined;
  /** From its start to its last commit of the preload. */
  readonly drainMs: number;
  readonly steps: readonly PhaseResult[];
  /** The highest step rate that held; undefined when none did. */
  readonly sustainedRate: number | undefined;
  readonly latency: readonly { readonly fraction: number; readonly phase: PhaseResult }[];
  /** Differences from the producers' ground truth; empty when the aggregates are exact. */
  readonly exactness: readonly string[];
  readonly totalRecords: number;
  readonly elapsedMs: number;
}

interface CommittedState {
  readonly records: number;
  readonly lastCommittedAt: number | undefined;
}

async function committedState(db: pg.Client, table: string): Promise<CommittedState> {
  const result = await db.query<{ records: string; last: Date | null }>(
    `SELECT coalesce(sum(record_count), 0)::text AS records, max(committed_at) AS last FROM ${table}`,
  );
  const row = result.rows[0];
  return { records: Number(row?.records ?? 0), lastCommittedAt: row?.last?.getTime() };
}

async function waitForCommitted(
  db: pg.Client,
  system: StreamingSystem,
  records: number,
  timeoutMs: number,
): Promise<CommittedState & { readonly drained: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failure = system.failure();
    if (failure) throw new Error(`${system.name} stopped working: ${failure}`);
    const state = await committedState(db, system.batchTable);
    if (state.records >= records) return { ...state, drained: true };
    if (Date.now() > deadline) return { ...state, drained: false };
    await sleep(100);
  }
}

async function readBatches(db: pg.Client, table: string, since: number): Promise<BatchTiming[]> {
  const result = await db.query<{
    committed_at: Date;
    record_count: number;
    first_record_time: Date | null;
    record_time_histogram: number[] | null;
  }>(
    `SELECT committed_at, record_count, first_record_time, record_time_histogram FROM ${table}
     WHERE last_record_time >= $1`,
    [new Date(since)],
  );
  return result.rows.flatMap((row) =>
    row.first_record_time && row.record_time_histogram
      ? [
          {
            committedAt: row.committed_at.getTime(),
            recordCount: row.record_count,
            firstRecordTime: row.first_record_time.getTime(),
            histogram: row.record_time_histogram,
          },
        ]
      : [],
  );
}

export interface HarnessContext {
  readonly db: pg.Client;
  readonly fleet: ProducerFleet;
  readonly plan: BenchPlan;
  readonly log: (line: string) => void;
  /** Names a process for the CPU figures, given the system's own processes. */
  readonly cpuLabel: (pid: number, comm: string) => string;
}

// Other work on the machine above this (% of one core) during a failed step has the step run again.
const BUSY_MACHINE_SHARE = 50;
// A step's records may still be in flight this long after the producers stop before the step fails.
const DRAIN_AFTER_STEP_MS = 30_000;
// The first second of a step is left out of its latency: the consumer may still be finishing the
// previous step's tail then.
const STEP_SETTLE_MS = 1_000;

async function runPhase(
  system: StreamingSystem,
  context: HarnessContext,
  cpu: CpuMeter,
  ratePerSecond: number,
  durationMs: number,
): Promise<PhaseResult> {
  const { db, fleet } = context;
  cpu.restart();
  const produced = await fleet.produce(Math.round((ratePerSecond * durationMs) / 1000), ratePerSecond);
  const shares = cpu.read();
  const state = await waitForCommitted(db, system, fleet.produced, DRAIN_AFTER_STEP_MS);
  const batches = await readBatches(db, system.batchTable, produced.startedAt);
  const from = produced.startedAt + STEP_SETTLE_MS;
  const to = produced.endedAt;
  const all = latencySample(batches, from, to);
  const growth = oldestAgeGrowth(batches, from, to);
  const phase = {
    offeredRate: ratePerSecond,
    deliveredRate: produced.rate,
    durationMs: produced.endedAt - produced.startedAt,
    measured: all.count,
    p50Ms: all.percentile(0.5),
    p99Ms: all.percentile(0.99),
    maxMs: all.percentile(1),
    growthMs: growth?.growthMs,
    medianAgeMs: growth?.medianAgeMs,
    batches: batches.length,
    cpu: shares,
  };
  const verdict = judgeSteadyPhase({
    offeredRate: ratePerSecond,
    deliveredRate: produced.rate,
    drained: state.drained,
    spanMs: to - from,
    growthMs: growth?.growthMs,
    medianAgeMs: growth?.medianAgeMs,
  });
  if (!state.drained) {
    // The next step must not start on top of this one's backlog.
    await waitForCommitted(db, system, fleet.produced, 5 * DRAIN_AFTER_STEP_MS);
  }
  return { ...phase, verdict };
}

/**
 * The same steps for every system: the producers preload the topic alone; the system starts and
 * catches up on it; steps at a constant rate, starting from a fraction of the lower of the catch-up and
 * producer rates and searched up and down (nextStepRate) for the highest that holds; then 10, 50 and
 * 80 % of that rate for the latency.
 */
export async function measureSystem(
  system: StreamingSystem,
  context: HarnessContext,
): Promise<SystemMeasurement> {
  const { db, fleet, plan, log } = context;
  const began = Date.now();
  const cpu = new CpuMeter(context.cpuLabel);

  log(
    `${system.name}: preloading ${formatCount(plan.preloadRecords)} records with ${plan.producers} producers`,
  );
  const preload = await fleet.produce(plan.preloadRecords, undefined);
  log(`${system.name}: producers alone: ${formatCount(preload.rate)} records/s`);

  const startedAt = await system.start();
  try {
    const drained = await waitForCommitted(db, system, fleet.produced, 300_000);
    if (!drained.drained || drained.lastCommittedAt === undefined) {
      throw new Error(
        `${system.name} committed ${drained.records} of ${fleet.produced} preloaded records within 300 s`,
      );
    }
    const drainMs = drained.lastCommittedAt - startedAt;
    const drain = drainRate(await readBatches(db, system.batchTable, 0), startedAt);
    log(
      `${system.name}: drained the preload at ${formatCount(drain.rate)} records/s from a cold start${drain.peakRate === undefined ? '' : `, ${formatCount(drain.peakRate)} records/s at its peak`}`,
    );

    const steps: PhaseResult[] = [];
    let sustainedRate: number | undefined;
    const ceiling = preload.rate;
    const seed = plan.seedFromCatchUp ? Math.min(drain.rate, ceiling) : ceiling;
    let rate: number | undefined = roundRate(seed * plan.firstStepFraction);
    while (rate !== undefined && steps.length < plan.maxSteps) {
      let step = await runPhase(system, context, cpu, rate, plan.stepMs);
      steps.push(step);
      log(
        `${system.name}: step ${formatCount(rate)} records/s: ${step.verdict.reason}; p99 ${formatMs(step.p99Ms)} ms; CPU ${formatCpu(step.cpu)}`,
      );
      // Other engineers' work comes in bursts: a step lost while the machine was busy with it (by the
      // consumer or by the producers, which share the same cores) is run once more before it counts.
      if (
        !step.verdict.sustained &&
        (step.cpu[OTHER_WORK] ?? 0) >= BUSY_MACHINE_SHARE &&
        steps.length < plan.maxSteps
      ) {
        step = await runPhase(system, context, cpu, rate, plan.stepMs);
        steps.push(step);
        log(
          `${system.name}: step ${formatCount(rate)} records/s again (the machine was busy): ${step.verdict.reason}`,
        );
      }
      if (step.verdict.sustained) sustainedRate = Math.max(sustainedRate ?? 0, rate);
      rate = nextStepRate(
        steps.map((s) => ({ rate: s.offeredRate, held: s.verdict.sustained })),
        ceiling,
      );
    }

    const base = sustainedRate ?? steps[steps.length - 1]?.offeredRate ?? 1_000;
    const latency: { fraction: number; phase: PhaseResult }[] = [];
    for (const fraction of LOAD_FRACTIONS) {
      const phase = await runPhase(system, context, cpu, Math.round(base * fraction), plan.latencyPhaseMs);
      latency.push({ fraction, phase });
      log(
        `${system.name}: ${Math.round(fraction * 100)} % load (${formatCount(phase.offeredRate)} records/s): p50 ${formatMs(phase.p50Ms)} ms, p99 ${formatMs(phase.p99Ms)} ms`,
      );
    }
    await system.stop();
    const exactness = await system.verify(db, fleet.totals);
    return {
      system: system.name,
      cpuRole: system.cpuRole,
      plan,
      preloadRecords: plan.preloadRecords,
      producerRate: preload.rate,
      drainRate: drain.rate,
      drainPeakRate: drain.peakRate,
      drainMs,
      steps,
      sustainedRate,
      latency,
      exactness,
      totalRecords: fleet.produced,
      elapsedMs: Date.now() - began,
    };
  } finally {
    await system.stop();
  }
}

/** What stopped the search: the lowest failed step above the sustained rate, and where the CPU went. */
export function limitNote(measurement: SystemMeasurement): string {
  const sustained = measurement.sustainedRate ?? 0;
  const cores = `% of one core, ${cpus().length * 100} % in all`;
  const failedAbove = measurement.steps
    .filter((step) => !step.verdict.sustained && step.offeredRate > sustained)
    .sort((a, b) => a.offeredRate - b.offeredRate)[0];
  if (failedAbove) {
    return (
      `At ${formatCount(failedAbove.offeredRate)} records/s ${failedAbove.verdict.reason}. ` +
      `CPU at that step (${cores}): ${formatCpu(failedAbove.cpu)}.`
    );
  }
  const top = measurement.steps.find((step) => step.offeredRate === measurement.sustainedRate);
  if (!top) return 'No step ran.';
  const stop =
    sustained >= Math.round(measurement.producerRate / 1_000) * 1_000
      ? `the producers' own rate (${formatCount(measurement.producerRate)} records/s with the machine to themselves)`
      : `the search's step limit (${measurement.plan.maxSteps})`;
  return (
    `Every step held, up to ${stop}: the figure is a lower bound. ` +
    `CPU at the highest step (${cores}): ${formatCpu(top.cpu)}.`
  );
}

// ─── The section ──────────────────────────────────────────────────────────────────────────────────

/** The process's latest end-to-end measurement: bench/spark.ts sets Spark beside it. */
let latestMeasurement: { readonly quick: boolean; readonly measurement: SystemMeasurement } | undefined;

export function latestEndToEndMeasurement(quick: boolean): SystemMeasurement | undefined {
  return latestMeasurement?.quick === quick ? latestMeasurement.measurement : undefined;
}

/** Labels for the CPU figures: the system's own processes, the producers, the broker, PostgreSQL. */
export function cpuLabeller(
  fleet: ProducerFleet,
  system: StreamingSystem,
): (pid: number, comm: string) => string {
  return (pid, comm) => {
    if (system.processIds().includes(pid)) return system.cpuRole;
    if (fleet.pids.includes(pid)) return 'producers';
    if (comm === 'java') return 'Kafka broker';
    if (comm.startsWith('postgres')) return 'PostgreSQL';
    if (pid === process.pid) return 'bench harness';
    return 'other bench processes';
  };
}

/** Runs our pipeline through the steps on a broker and a database of its own. */
export async function measureEndToEnd(options: SectionOptions): Promise<SystemMeasurement> {
  const { log } = options;
  const plan = benchPlan(options.quick);
  const services = await startBenchServices(log);
  let fleet: ProducerFleet | undefined;
  const db = new pg.Client({ connectionString: services.databaseUrl });
  try {
    await db.connect();
    fleet = await ProducerFleet.start(plan.producers, services.brokers, BENCH_TOPIC);
    const system = new AggregatorConsumer(services, log);
    const measurement = await measureSystem(system, {
      db,
      fleet,
      plan,
      log,
      cpuLabel: cpuLabeller(fleet, system),
    });
    latestMeasurement = { quick: options.quick, measurement };
    return measurement;
  } finally {
    await fleet?.stop();
    await db.end().catch(() => undefined);
    await services.stop();
  }
}

export function machineDescription(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, Kafka ${KAFKA_VERSION} (one KRaft broker, 1 GB heap), embedded PostgreSQL`;
}

function met(ok: boolean | undefined): string {
  return ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**';
}

export function stepsTable(steps: readonly PhaseResult[]): string[] {
  return [
    "| offered records/s | delivered | p50 ms | p99 ms | oldest record's age at commit: median, growth ms | verdict | other work on the machine |",
    '| ---: | ---: | ---: | ---: | --- | --- | ---: |',
    ...steps.map(
      (step) =>
        `| ${formatCount(step.offeredRate)} | ${formatCount(step.deliveredRate)} | ${formatMs(step.p50Ms)} | ${formatMs(step.p99Ms)} | ${formatMs(step.medianAgeMs)}, ${formatMs(step.growthMs)} | ${step.verdict.sustained ? 'held' : `not held: ${step.verdict.reason}`} | ${formatCount(step.cpu[OTHER_WORK] ?? 0)} % |`,
    ),
  ];
}

export function latencyTable(measurement: SystemMeasurement): string[] {
  return [
    '| load | offered records/s | records measured | p50 ms | p99 ms | max ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...measurement.latency.map(
      ({ fraction, phase }) =>
        `| ${Math.round(fraction * 100)} % | ${formatCount(phase.offeredRate)} | ${formatCount(phase.measured)} | ${formatMs(phase.p50Ms)} | ${formatMs(phase.p99Ms)} | ${formatMs(phase.maxMs)} |`,
    ),
  ];
}

export function latencyAt(measurement: SystemMeasurement, fraction: number): PhaseResult | undefined {
  return measurement.latency.find((entry) => entry.fraction === fraction)?.phase;
}

export function endToEndFigures(m: SystemMeasurement, prefix: string): Record<string, number | string> {
  const figures: Record<string, number | string> = {
    [`${prefix}.sustainedRecordsPerSecond`]: m.sustainedRate ?? 'none',
    [`${prefix}.drainRecordsPerSecond`]: Math.round(m.drainRate),
    [`${prefix}.producerRecordsPerSecond`]: Math.round(m.producerRate),
    [`${prefix}.exact`]: m.exactness.length === 0 ? 'yes' : 'no',
  };
  for (const { fraction, phase } of m.latency) {
    const load = `load${Math.round(fraction * 100)}`;
    figures[`${prefix}.${load}.recordsPerSecond`] = phase.offeredRate;
    figures[`${prefix}.${load}.p50Ms`] = phase.p50Ms ?? 'none';
    figures[`${prefix}.${load}.p99Ms`] = phase.p99Ms ?? 'none';
  }
  return figures;
}

/** How much of the machine other work took while the systems were measured: the figures' noise. */
export function noiseNote(measurements: readonly SystemMeasurement[]): string {
  const shares = measurements.flatMap((m) =>
    [...m.steps, ...m.latency.map((entry) => entry.phase)].map((phase) => phase.cpu[OTHER_WORK] ?? 0),
  );
  if (shares.length === 0) return '';
  const mean = shares.reduce((sum, share) => sum + share, 0) / shares.length;
  const max = Math.max(...shares);
  return (
    `Work outside the benchmark (other engineers' tests and soaks share this machine) took ${formatCount(mean)} % of a core on average during the steps, ${formatCount(max)} % at most` +
    (max >= BUSY_MACHINE_SHARE ? ', so these figures are noisy.' : '.')
  );
}

/** The drain, as a sentence. */
export function drainSentence(m: SystemMeasurement): string {
  const peak =
    m.drainPeakRate === undefined
      ? ' (the preload went in one batch)'
      : `; ${formatCount(m.drainPeakRate)} records/s from its first commit to the 90 % one`;
  return (
    `Catching up on ${formatCount(m.preloadRecords)} preloaded records from a cold start, the consumer alone: ` +
    `${formatCount(m.drainRate)} records/s to 90 % committed, counted from its start${peak}. ` +
    `The producers alone: ${formatCount(m.producerRate)} records/s.`
  );
}

/** The consumer's CPU per 1,000 records at 80 % load: its cost, whatever else shares the machine. */
export function consumerCost(m: SystemMeasurement): number | undefined {
  const phase = latencyAt(m, 0.8);
  return phase === undefined ? undefined : cpuMsPerThousand(phase.cpu[m.cpuRole], phase.offeredRate);
}

function endToEndMarkdown(m: SystemMeasurement, quick: boolean): string {
  const half = latencyAt(m, 0.5);
  const rateMet = m.sustainedRate === undefined ? false : m.sustainedRate >= TARGET_RECORDS_PER_SECOND;
  const p99Met = half?.p99Ms === undefined ? undefined : half.p99Ms <= TARGET_P99_AT_HALF_LOAD_MS;
  const cost = consumerCost(m);
  const eighty = latencyAt(m, 0.8);
  return [
    `### End to end, locally${quick ? ' (quick run: short steps, indicative only)' : ''}`,
    '',
    `Producers → Kafka topic \`${BENCH_TOPIC}\` (${BENCH_PARTITIONS} partitions, key = branch, so partition 0 gets half the records) → ESM emulator (batch size ${formatCount(BATCH_SIZE)}, window ${WINDOW_MS / 1000} s, 6 MB) → the aggregator's bundle under the Lambda Runtime Interface Emulator and aws-lambda-ric, one execution environment per partition, logs and metrics on as in AWS → PostgreSQL. ` +
      `${m.plan.producers} producer processes (kafkajs, idempotent, gzip, ≤ ${formatCount(MAX_RECORDS_PER_SEND)} records a request, a request every ${PRODUCER_TICK_MS} ms), the consumer in a process of its own. ` +
      "Latency is produce → commit per record: applied_batch.committed_at − the record's Kafka timestamp, from the 5 ms histogram the handler writes with each batch (a record counts from its bucket's start, so up to 5 ms high). " +
      `The rate is the highest step, offered at a constant rate by the producers, that the pipeline held: everything committed, the age of each batch's oldest record at its commit flat across the step (a least-squares line; growth ≤ 5 % of the step or half a window) and its median ≤ ${formatCount(MAX_MEDIAN_OLDEST_AGE_MS)} ms (two windows and a second).`,
    '',
    '| figure | measured | target | |',
    '| --- | ---: | ---: | --- |',
    `| highest sustained rate | ${m.sustainedRate === undefined ? 'none held' : `${formatCount(m.sustainedRate)} records/s`} | ≥ ${formatCount(TARGET_RECORDS_PER_SECOND)} records/s | ${met(rateMet)} |`,
    `| p99 produce → commit at 50 % load | ${formatMs(half?.p99Ms)} ms | ≤ ${formatCount(TARGET_P99_AT_HALF_LOAD_MS)} ms (window + 250 ms) | ${met(p99Met)} |`,
    `| aggregates equal the producers' ground truth | ${m.exactness.length === 0 ? 'yes' : `no (${m.exactness.length} differences)`} | exact | ${met(m.exactness.length === 0)} |`,
    '',
    ...latencyTable(m),
    '',
    `Search for the sustained rate (steps of ${m.plan.stepMs / 1000} s at a constant offered rate: up by 1/0.85 while steps hold, down by 0.85 while they fail, then halfway between the highest held and the lowest failed until they are within 10 %; a step lost while other work took over half a core is run once more):`,
    '',
    ...stepsTable(m.steps),
    '',
    drainSentence(m),
    cost === undefined || eighty === undefined
      ? ''
      : `The consumer process spent ${cost.toFixed(1)} ms of CPU per 1,000 records at 80 % load, the producers ${cpuMsPerThousand(eighty.cpu.producers, eighty.offeredRate)?.toFixed(1) ?? '–'} ms (CPU then: ${formatCpu(eighty.cpu)}).`,
    '',
    `What limits it: ${limitNote(m)}`,
    '',
    ...m.exactness.slice(0, 5).map((line) => `- MISMATCH ${line}`),
    `Machine: ${machineDescription()}. ${noiseNote([m])} ${formatCount(m.totalRecords)} records in ${(m.elapsedMs / 1000).toFixed(0)} s.`,
    '',
  ].join('\n');
}

/** Issue 5 part 3, as bench/run.ts calls it. */
export async function runEndToEndSection(options: SectionOptions): Promise<SectionResult> {
  const measurement = await measureEndToEnd(options);
  return {
    markdown: endToEndMarkdown(measurement, options.quick),
    figures: endToEndFigures(measurement, 'e2e'),
  };
}

// ─── Entry points ─────────────────────────────────────────────────────────────────────────────────

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const role = process.env.BENCH_E2E_ROLE;
if (role === 'producer' || role === 'consumer') {
  const worker = role === 'producer' ? producerWorker : consumerWorker;
  worker().catch((error: unknown) => {
    process.send?.({ type: 'error', message: (error as Error).stack ?? String(error) });
    process.exitCode = 1;
    process.disconnect?.();
  });
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const result = await runEndToEndSection({ quick, log: (line) => console.error(line) });
  console.log(result.markdown);
  console.log(JSON.stringify(result.figures, null, 2));
}
