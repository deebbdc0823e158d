/** The stack's alarms, from the metrics contracts/telemetry/metrics.ts defines. No CDK import here. */

import { DEFAULT_SETTINGS } from '../settings.js';
import { DASHBOARD_ROWS } from './dashboard.js';
import { FIVE_MINUTES, METRICS, type MetricSpec, overPeriod } from './metrics.js';

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

/**
 * The stack's alarms (the rotation functions' error alarms are added per rotation function);
 * `lagThreshold` in records (the lagAlarmThreshold setting).
 */
export function alarmSpecs(lagThreshold: number): readonly AlarmSpec[] {
  const metric = (m: MetricSpec): AlarmMetricSpec => ({ kind: 'metric', metric: m });
  return [
    {
      id: 'OffsetLagAlarm',
      description: 'The aggregator is falling behind the topic',
      watches: metric(METRICS.offsetLag),
      threshold: lagThreshold,
      comparison: 'GreaterThanThreshold',
      evaluationPeriods: 5,
      // No AWS document says whether Lambda reports OffsetLag for an idle topic, so no lag reported
      // is not an alarm (it would page whenever the producer is off). A mapping that stops polling
      // while deals are produced is the stall alarm's: produced, nothing applied (N10).
      treatMissingData: 'notBreaching',
    },
    {
      id: 'PipelineStalledAlarm',
      description:
        'Deals were produced but none applied in 3 of the last 5 minutes: the pipeline is stalled (mapping disabled, not polling, or every batch failing)',
      // A stalled mapping invokes nothing, so no error alarm can fire. The mapping delivers within its
      // 2 s window, so a minute with deals produced and none applied is a stalled minute. 3 of 5
      // one-minute periods, not 1 of one five-minute period: FILL over a period whose metric arrives
      // late can hold the alarm in a state (CloudWatch's metric math docs advise M out of N), and a
      // minute in which no run ended (no produced point) does not reset it (N9). A stall of one
      // partition leaves the others applying: the lag alarm is that guard.
      watches: { kind: 'stalled', produced: METRICS.produced, applied: METRICS.applied },
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
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
      // Breaches that began: an alarm notifies on a change of state only, so breaches that begin in
      // consecutive minutes make one notification (and an OK follows a minute later). Each breach is
      // a row in limit_breach and a "limit breach began" log line: DEPLOY.md "Alarms" says how an
      // operator hears of each one (N11).
      description: 'A position went past its limit (see limit_breach)',
      watches: metric(METRICS.breachesBegun),
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
    },
    {
      id: 'OffsetGapAlarm',
      // Any record missing is an incident: positions are short until the recovery applies it from the
      // topic (docs/RUNBOOK.md) or an operator accepts its loss. Minute by minute, on the first record.
      description:
        'A batch started past its partition checkpoint: records are missing (see the aggregator log "offset gap", docs/RUNBOOK.md)',
      watches: metric(METRICS.offsetGapRecords),
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
  // The threshold changes no metric: the default's alarms read the same ones as any other's.
  for (const alarm of alarmSpecs(DEFAULT_SETTINGS.alarms.lagAlarmThreshold)) {
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
