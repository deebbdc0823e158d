/**
 * The metrics the operators watch, defined once: the names the handlers emit, and every metric a
 * CloudWatch widget or alarm reads (title, namespace, name, dimensions, statistic, period, label).
 * lib/constructs/observability.ts builds the dashboard and alarms from it; the local dashboard
 * (local/dashboard/) draws the same widgets from it; the handlers import the names. No CDK import
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

const MINUTE = 60;
const FIVE_MINUTES = 300;

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

/**
 * A graph's line: one metric, or, per broker, the sum of metrics (CPU user + system) repeated for
 * each broker of the cluster.
 */
export type SeriesSpec =
  | { readonly kind: 'metric'; readonly metric: MetricSpec }
  | { readonly kind: 'per-broker'; readonly sumOf: readonly MetricSpec[]; readonly label: string };

export interface GraphWidgetSpec {
  readonly title: string;
  /** Of the dashboard's 24 columns. */
  readonly width: number;
  readonly yAxis: { readonly min: number; readonly max?: number };
  readonly series: readonly SeriesSpec[];
}

const line = (metric: MetricSpec): SeriesSpec => ({ kind: 'metric', metric });
const percent = { min: 0, max: 100 };

/** The dashboard's graphs, row by row. */
export const DASHBOARD_ROWS: readonly (readonly GraphWidgetSpec[])[] = [
  [
    {
      title: 'Records per minute',
      width: 12,
      yAxis: { min: 0 },
      series: [
        METRICS.produced,
        METRICS.received,
        METRICS.applied,
        METRICS.rejected,
        METRICS.redelivered,
      ].map(line),
    },
    { title: 'Offset lag (records behind)', width: 12, yAxis: { min: 0 }, series: [line(METRICS.offsetLag)] },
  ],
  [
    {
      title: 'Aggregator invocations, errors, throttles',
      width: 8,
      yAxis: { min: 0 },
      series: [METRICS.invocations, METRICS.errors, METRICS.throttles, METRICS.batchesFailed].map(line),
    },
    {
      title: 'Aggregator duration (ms)',
      width: 8,
      yAxis: { min: 0 },
      series: [METRICS.durationP50, METRICS.durationP99, METRICS.durationMax].map(line),
    },
    { title: 'Aggregator concurrency', width: 8, yAxis: { min: 0 }, series: [line(METRICS.concurrency)] },
  ],
  [
    { title: 'Database CPU (%)', width: 8, yAxis: percent, series: [line(METRICS.databaseCpu)] },
    {
      title: 'Database connections',
      width: 8,
      yAxis: { min: 0 },
      series: [line(METRICS.databaseConnections)],
    },
    {
      title: 'Database free storage (bytes)',
      width: 8,
      yAxis: { min: 0 },
      series: [line(METRICS.databaseFreeStorage)],
    },
  ],
  [
    {
      title: 'Broker CPU, user + system (%)',
      width: 12,
      yAxis: percent,
      series: [
        { kind: 'per-broker', sumOf: [METRICS.brokerCpuUser, METRICS.brokerCpuSystem], label: 'broker' },
      ],
    },
    { title: 'Broker data disk used (%)', width: 12, yAxis: percent, series: [line(METRICS.brokerDiskUsed)] },
  ],
  [
    {
      title: 'Limit breaches: open, began, cleared',
      width: 24,
      yAxis: { min: 0 },
      series: [METRICS.breachesOpen, METRICS.breachesBegun, METRICS.breachesCleared].map(line),
    },
  ],
];

export type Comparison =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/**
 * What an alarm watches: a metric; "produced but nothing applied" over the period (a stalled
 * pipeline); or the fullest of the brokers' disks.
 */
export type AlarmMetricSpec =
  | { readonly kind: 'metric'; readonly metric: MetricSpec }
  | { readonly kind: 'stalled'; readonly produced: MetricSpec; readonly applied: MetricSpec }
  | { readonly kind: 'max-over-brokers'; readonly metric: MetricSpec; readonly label: string };

export interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly watches: AlarmMetricSpec;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly evaluationPeriods: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** @default 'missing' (CloudWatch's default) */
  readonly treatMissingData?: 'breaching' | 'notBreaching' | 'missing';
}

/** The default lag, in records, above which the lag alarm fires. */
export const DEFAULT_LAG_ALARM_THRESHOLD = 10_000;

/** The stack's alarms (the rotation functions' error alarms are added per rotation function). */
export function alarmSpecs(lagThreshold = DEFAULT_LAG_ALARM_THRESHOLD): readonly AlarmSpec[] {
  const metric = (m: MetricSpec): AlarmMetricSpec => ({ kind: 'metric', metric: m });
  return [
    {
      id: 'OffsetLagAlarm',
      description: 'The aggregator is falling behind the topic, or its mapping reports no lag at all',
      watches: metric(METRICS.offsetLag),
      threshold: lagThreshold,
      comparison: 'GreaterThanThreshold',
      evaluationPeriods: 5,
      // Lambda reports the lag of an enabled mapping whether records flow or not; no lag at all means
      // the mapping is not polling (disabled, or failing to reach the cluster), which is an outage too.
      treatMissingData: 'breaching',
    },
    {
      id: 'PipelineStalledAlarm',
      description: 'Deals were produced but none applied for 5 minutes: the pipeline is stalled',
      // A stalled mapping invokes nothing, so no error alarm can fire. The mapping delivers within its
      // 2 s window, so 5 minutes of produced with nothing applied is a stall.
      watches: {
        kind: 'stalled',
        produced: overPeriod(METRICS.produced, FIVE_MINUTES),
        applied: overPeriod(METRICS.applied, FIVE_MINUTES),
      },
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    },
    {
      id: 'AggregatorErrorsAlarm',
      description: 'Batches keep failing: the mapping retries them and the partition waits',
      watches: metric(METRICS.errors),
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: 'notBreaching',
    },
    {
      id: 'RecordsRejectedAlarm',
      description: 'Records were set aside as invalid (see rejected_transaction_readable)',
      watches: metric(overPeriod(METRICS.rejected, FIVE_MINUTES)),
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    },
    {
      id: 'LimitBreachBegunAlarm',
      // Each breach that begins is news for the treasury: alarm on the first, minute by minute.
      description: 'A position went past its limit (see limit_breach)',
      watches: metric(METRICS.breachesBegun),
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    },
    {
      id: 'ProducerErrorsAlarm',
      description: 'The producer runs are failing: no deals reach the topic',
      watches: metric({
        ...overPeriod(METRICS.errors, FIVE_MINUTES),
        id: 'producerErrors',
        label: 'producer errors',
        dimensions: { FunctionName: { resource: 'producerFunction' } },
      }),
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
    },
    {
      id: 'DatabaseCpuAlarm',
      description: 'The database CPU has stayed above 80%',
      watches: metric(overPeriod(METRICS.databaseCpu, FIVE_MINUTES)),
      threshold: 80,
      comparison: 'GreaterThanThreshold',
      evaluationPeriods: 3,
    },
    {
      id: 'DatabaseStorageAlarm',
      description: 'The database has less than 1 GiB of free storage',
      watches: metric(overPeriod(METRICS.databaseFreeStorage, FIVE_MINUTES, 'Minimum')),
      threshold: 1024 ** 3,
      comparison: 'LessThanThreshold',
      evaluationPeriods: 1,
    },
    {
      id: 'BrokerDiskAlarm',
      description: 'A broker data volume is more than 80% full',
      watches: {
        kind: 'max-over-brokers',
        metric: overPeriod(METRICS.brokerDiskUsed, FIVE_MINUTES),
        label: 'fullest broker disk (%)',
      },
      threshold: 80,
      comparison: 'GreaterThanThreshold',
      evaluationPeriods: 1,
    },
  ];
}

/** Every metric a widget or an alarm reads, each once (by namespace, name, dimensions). */
export function referencedMetrics(): readonly MetricSpec[] {
  const all: MetricSpec[] = [];
  for (const widget of DASHBOARD_ROWS.flat()) {
    for (const series of widget.series)
      all.push(...(series.kind === 'metric' ? [series.metric] : series.sumOf));
  }
  for (const alarm of alarmSpecs()) {
    const w = alarm.watches;
    all.push(...(w.kind === 'stalled' ? [w.produced, w.applied] : [w.metric]));
  }
  all.push(METRICS.rotationErrors);
  const seen = new Map<string, MetricSpec>();
  for (const metric of all) {
    seen.set(`${metric.namespace}|${metric.metricName}|${JSON.stringify(metric.dimensions)}`, metric);
  }
  return [...seen.values()];
}
