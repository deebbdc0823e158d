import type { AmountDistribution } from '../../contracts/producer.js';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import { type Dashboard, startDashboard } from '../dashboard/server.js';
import { type LocalServices, PARTITIONS, startLocalServices, TOPIC } from '../infra/services.js';
import { prepareRuntime } from '../lambda-runtime/prepare-runtime.js';
import { positionOf } from '../verify/mapping-lag.js';
import { readTopicResults } from '../verify/result-truth.js';
import { formatStatus } from './console-view.js';
import { moveExampleRates } from './example-rates.js';
import { describeFunctions, type PipelineFunctions, startPipelineFunctions } from './pipeline-functions.js';
import { checkRunTotals } from './run-check.js';
import { RunCounters } from './run-counters.js';
import { openRunLog, type RunLog } from './run-log.js';
import { type RunMapping, startRunMapping } from './run-mapping.js';
import { awaitCtrlC, type Interruption, produceOnSchedule, SCHEDULE_MS } from './run-schedule.js';
import { watchRunStatus } from './run-status.js';

export interface PipelineOptions {
  /** Seconds to produce before draining, checking and exiting; undefined runs until Ctrl-C. */
  readonly durationSeconds: number | undefined;
  readonly ratePerSecond: number;
  readonly batchSize: number;
  readonly windowSeconds: number;
  readonly quiet: boolean;
  /** False runs only the consumer side (another process produces). */
  readonly produce: boolean;
  readonly groupId: string;
  /** Call the handlers in this process instead of running them under the Lambda runtime emulator. */
  readonly inProcess: boolean;
  /** Load the example limits into a DATABASE_URL database too (an embedded one always gets them). */
  readonly exampleLimits: boolean;
  /** How the producer draws amounts. @default the generator's */
  readonly amounts?: AmountDistribution;
  readonly print: (line: string) => void;
  /** The local dashboard's port (0: any free one); undefined serves no dashboard. */
  readonly dashboardPort: number | undefined;
}

const DRAIN_TIMEOUT_MS = 120_000;

/** What was started, stopped in the reverse order whatever happens after. */
class Started {
  private readonly stops: (() => Promise<void> | void)[] = [];

  add<T>(part: T, stop: (part: T) => Promise<void> | void): T {
    this.stops.push(() => stop(part));
    return part;
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop();
  }
}

/** The broker and the database (started here or given), and the dashboard over them if asked. */
async function startInfrastructure(options: PipelineOptions, runLog: RunLog, started: Started) {
  // The broker's own log (its bootstrap WARN lines) is nothing a user acts on: it goes to the run log.
  const services: LocalServices = started.add(
    await startLocalServices(options.print, (line) => runLog.writeText('kafka', line), options.exampleLimits),
    (s) => s.stop(),
  );
  let dashboard: Dashboard | undefined;
  if (options.dashboardPort !== undefined) {
    dashboard = started.add(
      await startDashboard({
        port: options.dashboardPort,
        databaseUrl: services.databaseUrl,
        brokerDataDir: services.brokerDataDir,
      }),
      (d) => d.stop(),
    );
    options.print(`dashboard: ${dashboard.url}`);
  }
  // The example rates move where they were loaded: an embedded database, or one given with --example-limits.
  if (services.embeddedPostgres || options.exampleLimits) {
    started.add(
      moveExampleRates(services.databaseUrl, (error) =>
        options.print(`example rates not moved: ${(error as Error).message}`),
      ),
      (stop) => stop(),
    );
  }
  return { services, dashboard };
}

/** The producer and the aggregator, their output to the run log, the dashboard and the counters. */
async function startFunctions(
  options: PipelineOptions,
  services: LocalServices,
  context: { runLog: RunLog; dashboard: Dashboard | undefined; counters: RunCounters },
  started: Started,
): Promise<PipelineFunctions> {
  const { runLog, dashboard, counters } = context;
  const functions = started.add(
    await startPipelineFunctions(
      {
        databaseUrl: services.databaseUrl,
        brokers: services.brokers,
        topic: TOPIC,
        partitions: PARTITIONS,
        ratePerSecond: options.ratePerSecond,
        producerRunSeconds: SCHEDULE_MS / 1000,
        amounts: options.amounts,
        onOutput: (functionName, line) => {
          runLog.write(functionName, line);
          dashboard?.collector.onOutput(functionName, line);
          counters.countOutput(functionName, line);
        },
        log: options.print,
      },
      options.inProcess,
    ),
    (f) => f.stop(),
  );
  options.print(describeFunctions(functions));
  return functions;
}

/** With --duration: production ends, then the mapping drains the topic; 1 if it does not in time. */
async function drain(mapping: RunMapping, interruption: Interruption, print: (line: string) => void) {
  const drainedBy = Date.now() + DRAIN_TIMEOUT_MS;
  while (!interruption.interrupted() && (await positionOf(TOPIC, mapping.admin, mapping.emulator)).lag > 0) {
    if (Date.now() > drainedBy) {
      print(`not drained after ${DRAIN_TIMEOUT_MS / 1000} s`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return 0;
}

/** Runs producer → broker → ESM emulator → aggregator → PostgreSQL; resolves to the exit code. */
export async function runPipeline(options: PipelineOptions): Promise<number> {
  const { print } = options;
  const runLog = await openRunLog();
  print(`function and library logs: ${runLog.path}`);
  // The runtime's one-time builds (minutes on a fresh machine) overlap the broker's and database's start;
  // a failure is met again, and reported, where the functions start.
  if (!options.inProcess) void prepareRuntime(print).catch(() => undefined);
  const started = new Started();
  try {
    const { services, dashboard } = await startInfrastructure(options, runLog, started);
    const counters = new RunCounters();
    const functions = await startFunctions(options, services, { runLog, dashboard, counters }, started);
    const mapping = await startRunMapping(options, services, functions, counters, dashboard, (admin) =>
      started.add(admin, (a) => a.disconnect().catch(() => undefined)),
    );
    dashboard?.collector.watchLag(
      async () => (await positionOf(TOPIC, mapping.admin, mapping.emulator)).perPartition,
    );
    const status = started.add(await watchRunStatus(mapping, counters, options.quiet, print), (s) =>
      s.stop(),
    );
    const interruption = awaitCtrlC(() =>
      print(
        `stopped by Ctrl-C after ${((Date.now() - status.startedAt) / 1000).toFixed(0)} s: ${counters.batches} batches, ` +
          `${counters.applied} deals applied, ${counters.rejected} rejected, ${mapping.emulator.stats.retries} retries`,
      ),
    );
    const summaries: ProducerSummary[] = [];
    const producing = options.produce
      ? produceOnSchedule(functions, options.durationSeconds, interruption, counters, summaries)
      : Promise.resolve();

    let exitCode = 0;
    if (options.durationSeconds === undefined) await interruption.happened;
    else {
      await Promise.race([producing, interruption.happened]);
      if (!interruption.interrupted()) exitCode = await drain(mapping, interruption, print);
    }
    status.stop();
    await mapping.emulator.stop();
    const totals = await checkRunTotals(
      services.databaseUrl,
      mapping.eventSourceArn,
      summaries,
      services.embeddedKafka && !interruption.interrupted(),
      print,
      (baseCurrency) => readTopicResults(mapping.kafka, TOPIC, baseCurrency),
    );
    print(formatStatus(await status.snapshot(), undefined));
    for (const [name, stats] of Object.entries(functions.stats())) {
      print(
        `function ${name}: ${stats.invocations} invocations, ${stats.coldStarts} cold starts, ` +
          `${stats.errors} errors, ${stats.timeouts} timeouts`,
      );
    }
    return Math.max(exitCode, totals);
  } finally {
    await started.stopAll();
    await runLog.close();
  }
}
