/**
 * The run's event source mapping: the ESM emulator on the local broker, invoking the aggregator, with
 * what each invocation reports counted, shown and given to the dashboard.
 */
import type { MSKEvent } from 'aws-lambda';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { MAX_EVENT_BYTES } from '../../contracts/event-source-mapping.js';
import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import type { Dashboard } from '../dashboard/server.js';
import { EsmEmulator, type FaultPoint } from '../esm/emulator.js';
import { eventLinesFromEnv } from '../esm/event-lines.js';
import { localClusterArn } from '../esm/local-mapping.js';
import type { LocalServices } from '../infra/services.js';
import { TOPIC } from '../infra/services.js';
import { formatBatchTable, formatLimitBreach } from './console-view.js';
import type { PipelineFunctions } from './pipeline-functions.js';
import type { RunCounters } from './run-counters.js';

export interface RunMappingOptions {
  readonly groupId: string;
  readonly batchSize: number;
  readonly windowSeconds: number;
  readonly quiet: boolean;
  readonly print: (line: string) => void;
}

export interface RunMapping {
  readonly emulator: EsmEmulator;
  /** Reads the topic's offsets and the group's, for the lag. */
  readonly admin: Admin;
  /** The checkpoints' event source: the local cluster's ARN. */
  readonly eventSourceArn: string;
  /** The client the mapping reads with: the run's check reads the whole topic with it too. */
  readonly kafka: Kafka;
}

/** Reads ESM_FAULT ("point:invocation", e.g. "after-invoke-before-commit:3"): the crash tests' hook. */
function faultFromEnv(): ((point: FaultPoint, invocation: number) => void) | undefined {
  const spec = process.env.ESM_FAULT;
  if (!spec) return undefined;
  const [point, at] = spec.split(':');
  return (reached, invocation) => {
    if (reached === point && invocation === Number(at)) process.kill(process.pid, 'SIGKILL');
  };
}

/** Connects the admin client (which the caller disconnects, even when this throws) and starts the emulator. */
export async function startRunMapping(
  settings: RunMappingOptions,
  services: LocalServices,
  functions: PipelineFunctions,
  counters: RunCounters,
  dashboard: Dashboard | undefined,
  onAdmin: (admin: Admin) => void,
): Promise<RunMapping> {
  const { print } = settings;
  const kafka = new Kafka({
    clientId: 'esm-emulator',
    brokers: [...services.brokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  onAdmin(admin);
  await admin.connect();
  const { clusterId } = await admin.describeCluster();
  const eventSourceArn = localClusterArn('treasury-stream-local', clusterId);

  const emulator = new EsmEmulator({
    kafka,
    topic: TOPIC,
    groupId: settings.groupId,
    eventSourceArn,
    bootstrapServers: services.brokers.join(','),
    limits: {
      batchSize: settings.batchSize,
      windowMs: settings.windowSeconds * 1000,
      maxBytes: MAX_EVENT_BYTES,
    },
    startingPosition: 'TRIM_HORIZON',
    invoke: (event: MSKEvent) => functions.invokeAggregator(event),
    onInvocation: (info) => {
      dashboard?.collector.onInvocation(info);
      const report = info.result as BatchSummary;
      // Under the runtime the counts come from the EMF lines, as CloudWatch gets them (run-status.ts).
      if (functions.mode === 'in-process') counters.countApplied(report.applied, report.rejected);
      counters.batches++;
      if (!settings.quiet) print(formatBatchTable(info.partition, info.fromOffset, info.toOffset, report));
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
  return { emulator, admin, eventSourceArn, kafka };
}
