/**
 * The metrics the operators watch, defined once: the names the handlers emit, and every metric a
 * CloudWatch widget or alarm reads (namespace, name, dimensions, statistic, period, label). The
 * widgets (observability-dashboard.ts) and alarms (observability-alarms.ts) are made of these;
 * lib/constructs/observability/observability.ts builds CloudWatch's from them, the local dashboard
 * (local/dashboard/) draws the same widgets, and the handlers import the names. No CDK import
 * here, so that handlers and the local runtime read it without loading the CDK.
 */

/** What the aggregator emits as EMF metrics, with the dimension `service` set to its service name. */
export const AGGREGATOR_METRIC = {
  received: 'RecordsReceived',
  applied: 'RecordsApplied',
  rejected: 'RecordsRejected',
  skippedAsRedelivered: 'RecordsSkippedAsRedelivered',
  batchesFailed: 'BatchesFailed',
  /** Breaches that began in a batch (emitted as 0 too, so that the alarm reads "none", not "no data"). */
  limitBreachesBegun: 'LimitBreachesBegun',
  limitBreachesCleared: 'LimitBreachesCleared',
  /** Breaches open after a batch committed: a gauge, read its Maximum. */
  limitBreachesOpen: 'LimitBreachesOpen',
  /**
   * Records missing before a batch (its first offset minus its partition's checkpoint), refused or
   * accepted: emitted as 0 too, so that the alarm on it reads "none", not "no data".
   */
  offsetGapRecords: 'OffsetGapRecords',
  /** The financial result a batch realized, in the base currency (issue 20): read its Sum. */
  realizedResultInBase: 'RealizedResultInBase',
  /** The bank's total result after a batch, in the base currency, when known: a gauge. */
  bankTotalResultInBase: 'BankTotalResultInBase',
} as const;

/**
 * The aggregator's log line per position a batch moved, with its result: the CloudWatch dashboard's
 * result table reads the latest of each position from it (contracts/telemetry/dashboard.ts).
 */
export const POSITION_RESULT_LOG = {
  message: 'position result',
  fields: ['branch', 'currency', 'position', 'averageRate', 'realized', 'unrealized', 'total', 'status'],
} as const;

/** Powertools' service name of each function: the `service` dimension of its EMF metrics. */
export const SERVICE_NAME = { aggregator: 'aggregator', producer: 'producer' } as const;

/** The namespace of the EMF metrics when METRICS_NAMESPACE is not set (locally). */
export const DEFAULT_METRICS_NAMESPACE = 'TreasuryStream';

/**
 * The producer's log line per run that the stack's metric filter turns into RecordsProduced: its
 * `message` and the field holding the count of deals sent.
 */
export const DEALS_SENT_LOG = { message: 'deals sent', countField: 'sent' } as const;
export const RECORDS_PRODUCED = 'RecordsProduced';

/** Our own namespace (the stack's, `TreasuryStream/<stack>`), or a service's. */
export type MetricNamespace = 'app' | 'AWS/Lambda' | 'AWS/RDS' | 'AWS/Kafka';

/** A dimension value that only the stack knows: the name of one of its resources. */
export interface ResourceName {
  readonly resource:
    | 'aggregatorFunction'
    | 'producerFunction'
    | 'rotationFunction'
    | 'databaseInstance'
    | 'cluster'
    | 'broker';
}

export type Statistic = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'p50' | 'p99';

export interface MetricSpec {
  /** Unique among the specs: how the local dashboard keys its series. */
  readonly id: string;
  readonly namespace: MetricNamespace;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string | ResourceName>>;
  readonly statistic: Statistic;
  readonly periodSeconds: number;
  readonly label: string;
}

export const MINUTE = 60;
export const FIVE_MINUTES = 300;

function appMetric(id: string, metricName: string, label: string): MetricSpec {
  return {
    id,
    namespace: 'app',
    metricName,
    dimensions: { service: SERVICE_NAME.aggregator },
    statistic: 'Sum',
    periodSeconds: MINUTE,
    label,
  };
}

function lambdaMetric(id: string, metricName: string, statistic: Statistic, label: string): MetricSpec {
  return {
    id,
    namespace: 'AWS/Lambda',
    metricName,
    dimensions: { FunctionName: { resource: 'aggregatorFunction' } },
    statistic,
    periodSeconds: MINUTE,
    label,
  };
}

function databaseMetric(id: string, metricName: string, statistic: Statistic, label: string): MetricSpec {
  return {
    id,
    namespace: 'AWS/RDS',
    metricName,
    dimensions: { DBInstanceIdentifier: { resource: 'databaseInstance' } },
    statistic,
    periodSeconds: MINUTE,
    label,
  };
}

/** Per broker: the stack repeats it for each `Broker ID`, labelled `broker <id>`. */
function brokerMetric(id: string, metricName: string): MetricSpec {
  return {
    id,
    namespace: 'AWS/Kafka',
    metricName,
    dimensions: { 'Cluster Name': { resource: 'cluster' }, 'Broker ID': { resource: 'broker' } },
    statistic: 'Maximum',
    periodSeconds: MINUTE,
    label: 'broker',
  };
}

export const METRICS = {
  // The metric filter's namespace is the app's; its value is DEALS_SENT_LOG.countField per line.
  produced: {
    id: 'produced',
    namespace: 'app',
    metricName: RECORDS_PRODUCED,
    dimensions: {},
    statistic: 'Sum',
    periodSeconds: MINUTE,
    label: 'produced',
  },
  received: appMetric('received', AGGREGATOR_METRIC.received, 'received'),
  applied: appMetric('applied', AGGREGATOR_METRIC.applied, 'applied'),
  rejected: appMetric('rejected', AGGREGATOR_METRIC.rejected, 'rejected'),
  redelivered: appMetric('redelivered', AGGREGATOR_METRIC.skippedAsRedelivered, 'skipped as redelivered'),
  batchesFailed: appMetric('batchesFailed', AGGREGATOR_METRIC.batchesFailed, 'batches failed'),
  breachesBegun: appMetric('breachesBegun', AGGREGATOR_METRIC.limitBreachesBegun, 'breaches began'),
  breachesCleared: appMetric('breachesCleared', AGGREGATOR_METRIC.limitBreachesCleared, 'breaches cleared'),
  breachesOpen: {
    ...appMetric('breachesOpen', AGGREGATOR_METRIC.limitBreachesOpen, 'open breaches'),
    statistic: 'Maximum',
  },
  // Maximum, not Sum: a refused batch is retried, and each retry reports the same missing records.
  offsetGapRecords: {
    ...appMetric('offsetGapRecords', AGGREGATOR_METRIC.offsetGapRecords, 'records missing before a batch'),
    statistic: 'Maximum',
  },
  realizedResult: appMetric('realizedResult', AGGREGATOR_METRIC.realizedResultInBase, 'realized result'),
  // Average, not Sum: each batch reports the whole bank's total, so a minute's batches repeat it.
  bankTotalResult: {
    ...appMetric('bankTotalResult', AGGREGATOR_METRIC.bankTotalResultInBase, 'bank total result'),
    statistic: 'Average',
  },
  offsetLag: lambdaMetric('offsetLag', 'OffsetLag', 'Maximum', 'offset lag'),
  invocations: lambdaMetric('invocations', 'Invocations', 'Sum', 'invocations'),
  errors: lambdaMetric('errors', 'Errors', 'Sum', 'errors'),
  throttles: lambdaMetric('throttles', 'Throttles', 'Sum', 'throttles'),
  durationP50: lambdaMetric('durationP50', 'Duration', 'p50', 'p50'),
  durationP99: lambdaMetric('durationP99', 'Duration', 'p99', 'p99'),
  durationMax: lambdaMetric('durationMax', 'Duration', 'Maximum', 'max'),
  concurrency: lambdaMetric('concurrency', 'ConcurrentExecutions', 'Maximum', 'concurrent'),
  databaseCpu: databaseMetric('databaseCpu', 'CPUUtilization', 'Average', 'CPU utilization'),
  databaseConnections: databaseMetric('databaseConnections', 'DatabaseConnections', 'Average', 'connections'),
  databaseFreeStorage: databaseMetric('databaseFreeStorage', 'FreeStorageSpace', 'Average', 'free storage'),
  brokerCpuUser: brokerMetric('brokerCpuUser', 'CpuUser'),
  brokerCpuSystem: brokerMetric('brokerCpuSystem', 'CpuSystem'),
  brokerDiskUsed: brokerMetric('brokerDiskUsed', 'KafkaDataLogsDiskUsed'),
  rotationErrors: {
    id: 'rotationErrors',
    namespace: 'AWS/Lambda',
    metricName: 'Errors',
    dimensions: { FunctionName: { resource: 'rotationFunction' } },
    statistic: 'Sum',
    periodSeconds: FIVE_MINUTES,
    label: 'rotation errors',
  },
} as const satisfies Record<string, MetricSpec>;

/** The same metric over another period (an alarm's), keeping its id: it is the same series. */
export function overPeriod(metric: MetricSpec, periodSeconds: number, statistic?: Statistic): MetricSpec {
  return { ...metric, periodSeconds, statistic: statistic ?? metric.statistic };
}
