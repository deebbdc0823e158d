/**
 * Section 1, in the runtime: the aggregator's bundle under the Lambda Runtime Interface Emulator and
 * AWS's runtime interface client, invoked with 10,000-record MSK events of the producer's values
 * against a real (embedded) PostgreSQL, and the CPU each invocation costs the function's own process
 * (the node process the emulator starts) and the emulator, from /proc.
 */
import type { MSKEvent } from 'aws-lambda';
import pg from 'pg';
import {
  aggregatorFunction,
  FUNCTION_NODE_OPTIONS,
  type FunctionDefinition,
} from '../../contracts/functions.js';
import { migrate } from '../../db/migrate.js';
import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import { type LocalPostgres, startEmbeddedPostgres } from '../../local/infra/postgres/embedded.js';
import { LocalFunction } from '../../local/lambda-runtime/local-function.js';
import { producerEvents, RECORDS_PER_EVENT } from '../handler-throughput/producer-events.js';
import {
  clockTicksPerSecond,
  cpuMillisBetween,
  readProcMemory,
  readProcStat,
  runtimeProcesses,
} from '../proc-stat.js';
import { type Summary, summarize } from '../report/stats.js';

/**
 * An event of the same records at fresh offsets, each partition's following on from where it ended
 * (`next`, by the event's partition key, is advanced): the checkpoint would skip a repeated offset,
 * and refuses a batch that starts past it.
 */
export function eventAtNextOffsets(base: MSKEvent, next: Map<string, number>): MSKEvent {
  const records: MSKEvent['records'] = {};
  for (const [key, list] of Object.entries(base.records)) {
    const first = next.get(key) ?? 0;
    records[key] = list.map((record, index) => ({ ...record, offset: first + index }));
    next.set(key, first + list.length);
  }
  return { ...base, records };
}

export interface RuntimeRunOptions {
  /** Runs of `invocationsPerRun` invocations each; CPU is read per run (ticks are 10 ms coarse). */
  readonly runs: number;
  readonly invocationsPerRun: number;
  readonly warmupInvocations: number;
  /** Added to the function's NODE_OPTIONS (the profiler's preload). */
  readonly extraNodeOptions?: string;
  /** Added to the function's environment (experiments only). */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
  /** Called with the runtime's pid after the warm-up and before the measured runs, and after them. */
  readonly onMeasuring?: (runtimePid: number) => void;
  readonly onMeasured?: (runtimePid: number) => Promise<void>;
  readonly log: (line: string) => void;
  /** The function to run: the aggregator, or the floor (bench/runtime/floor-handler.ts). @default aggregator */
  readonly floor?: boolean;
  /** Records in each event (one partition). @default RECORDS_PER_EVENT */
  readonly recordsPerEvent?: number;
}

export interface RuntimeRunResult {
  /** CPU milliseconds per invocation of the function's own process, one value per run. */
  readonly functionMs: Summary;
  /** The same for the emulator process. */
  readonly emulatorMs: Summary;
  /** Wall milliseconds per invocation, from the invoker's side (HTTP to the emulator included). */
  readonly wallMs: Summary;
  readonly eventBytes: number;
  readonly recordsPerEvent: number;
  readonly invocations: number;
  /**
   * The function's process: its resident memory after the warm-up (before the measured runs), and its
   * peak (VmHWM) over its life, read after them: what Lambda's "Max Memory Used" reports of it.
   */
  readonly rssAfterWarmupKiB: number;
  readonly peakRssKiB: number;
  readonly failures: string[];
}

/** The aggregator's definition with the floor's entry point: same memory, flags, bundling. */
export function runtimeFloorFunction(): FunctionDefinition {
  return { ...aggregatorFunction(), name: 'runtime-floor', entry: 'bench/runtime/floor-handler.ts' };
}

/** A database for the benchmark: embedded PostgreSQL with the project's migrations. */
export async function startBenchDatabase(): Promise<{ server: LocalPostgres; version: string }> {
  const server = await startEmbeddedPostgres();
  const client = new pg.Client({ connectionString: server.url });
  try {
    await client.connect();
    await migrate(client);
    const version = (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]
      ?.server_version;
    return { server, version: version ?? 'unknown' };
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// Offsets are never reused within a process, so that every invocation applies, whichever database;
// the floor writes nothing, so its invocations take none of them (a hole would be refused as a gap).
const nextOffsets = new Map<string, number>();

/** What one run of invocations cost, per invocation. */
export interface RunCost {
  readonly functionMs: number;
  readonly emulatorMs: number;
  readonly wallMs: number;
}

/**
 * One execution environment of the aggregator (or the floor), warmed up and kept, so that variants
 * can take turns run by run: figures taken turn about share whatever else the machine was doing.
 */
export class RuntimeSubject {
  readonly failures: string[] = [];
  readonly eventBytes: number;
  readonly recordsPerEvent: number;
  /** The function's process's resident memory after the warm-up. */
  rssAfterWarmupKiB = 0;
  private environment: { readonly emulator: number; readonly runtime: number } | undefined;
  private readonly base: MSKEvent;

  private constructor(
    private readonly fn: LocalFunction,
    private readonly options: RuntimeRunOptions,
  ) {
    this.recordsPerEvent = options.recordsPerEvent ?? RECORDS_PER_EVENT;
    this.base = (producerEvents(1, this.recordsPerEvent)[0] as { event: MSKEvent }).event;
    this.eventBytes = Buffer.byteLength(JSON.stringify(this.base));
  }

  /** Starts the environment and runs the warm-up invocations (its cold start among them). */
  static async start(databaseUrl: string, options: RuntimeRunOptions): Promise<RuntimeSubject> {
    const definition = options.floor ? runtimeFloorFunction() : aggregatorFunction();
    const before = new Set(runtimeProcesses(process.pid).map((p) => p.emulator));
    const fn = await LocalFunction.create({
      definition,
      localEnvironment: {
        DATABASE_URL: databaseUrl,
        ...(options.extraNodeOptions
          ? { NODE_OPTIONS: `${FUNCTION_NODE_OPTIONS} ${options.extraNodeOptions}` }
          : {}),
        ...options.extraEnvironment,
      },
      maxConcurrency: 1,
      log: options.log,
    });
    const subject = new RuntimeSubject(fn, options);
    try {
      for (let i = 0; i < Math.max(1, options.warmupInvocations); i++) await subject.invoke();
      const started = runtimeProcesses(process.pid).filter((p) => !before.has(p.emulator));
      if (started.length !== 1) {
        throw new Error(
          `expected one new emulator with one runtime below this process, found ${started.length}`,
        );
      }
      subject.environment = started[0];
      subject.rssAfterWarmupKiB = readProcMemory(subject.runtimePid).rssKiB;
    } catch (error) {
      await fn.stop();
      throw error;
    }
    return subject;
  }

  get runtimePid(): number {
    if (this.environment === undefined) throw new Error('the runtime has not started');
    return this.environment.runtime;
  }

  /** The function's process's peak resident memory over its life so far (VmHWM). */
  peakRssKiB(): number {
    return readProcMemory(this.runtimePid).peakRssKiB;
  }

  get invocations(): number {
    return this.fn.stats.invocations;
  }

  private async invoke(): Promise<void> {
    const floor = this.options.floor ?? false;
    const event = eventAtNextOffsets(this.base, floor ? new Map() : nextOffsets);
    const answer = (await this.fn.invoke(event)) as Partial<BatchSummary> & { records?: number };
    const done = floor ? answer.records : answer.batchId === null ? 0 : answer.applied;
    if (done !== this.recordsPerEvent) {
      this.failures.push(`an invocation answered ${JSON.stringify(answer).slice(0, 200)}`);
    }
  }

  /** `invocations` invocations back to back, and their CPU (function, emulator) and wall time each. */
  async run(invocations: number): Promise<RunCost> {
    const environment = this.environment;
    if (environment === undefined) throw new Error('the runtime has not started');
    const runtimeBefore = readProcStat(environment.runtime);
    const emulatorBefore = readProcStat(environment.emulator);
    const start = process.hrtime.bigint();
    for (let i = 0; i < invocations; i++) await this.invoke();
    const wall = Number(process.hrtime.bigint() - start) / 1e6;
    const ticks = clockTicksPerSecond();
    return {
      functionMs: cpuMillisBetween(runtimeBefore, readProcStat(environment.runtime), ticks) / invocations,
      emulatorMs: cpuMillisBetween(emulatorBefore, readProcStat(environment.emulator), ticks) / invocations,
      wallMs: wall / invocations,
    };
  }

  /** Stops the environment; a failure if it started more than once. */
  async stop(): Promise<void> {
    if (this.fn.stats.coldStarts !== 1)
      this.failures.push(`${this.fn.stats.coldStarts} cold starts, expected 1`);
    await this.fn.stop();
  }
}

/** The summaries of a subject's runs. */
export function runResult(
  subject: RuntimeSubject,
  costs: readonly RunCost[],
  peakRssKiB: number,
): RuntimeRunResult {
  return {
    functionMs: summarize(costs.map((c) => c.functionMs)),
    emulatorMs: summarize(costs.map((c) => c.emulatorMs)),
    wallMs: summarize(costs.map((c) => c.wallMs)),
    eventBytes: subject.eventBytes,
    recordsPerEvent: subject.recordsPerEvent,
    invocations: subject.invocations,
    rssAfterWarmupKiB: subject.rssAfterWarmupKiB,
    peakRssKiB,
    failures: subject.failures,
  };
}

/** Invokes the aggregator in one execution environment and reads what each invocation cost. */
export async function measureRuntimeInvocations(
  databaseUrl: string,
  options: RuntimeRunOptions,
): Promise<RuntimeRunResult> {
  const subject = await RuntimeSubject.start(databaseUrl, options);
  try {
    options.onMeasuring?.(subject.runtimePid);
    const costs: RunCost[] = [];
    for (let run = 0; run < options.runs; run++) {
      costs.push(await subject.run(options.invocationsPerRun));
      options.log(
        `runtime: run ${run + 1}/${options.runs}: function ${costs.at(-1)?.functionMs.toFixed(1)} ms, emulator ${costs.at(-1)?.emulatorMs.toFixed(1)} ms CPU per invocation`,
      );
    }
    const peak = subject.peakRssKiB();
    await options.onMeasured?.(subject.runtimePid);
    return runResult(subject, costs, peak);
  } finally {
    await subject.stop();
  }
}
