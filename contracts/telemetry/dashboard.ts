/**
 * The operators' dashboard, row by row, from the metrics contracts/telemetry/metrics.ts defines: the
 * stack's CloudWatch dashboard and the local dashboard both draw these widgets. No CDK import here.
 */
import { METRICS, type MetricSpec, POSITION_RESULT_LOG } from './metrics.js';

/**
 * A graph's line: one metric, or, per broker, the sum of metrics (CPU user + system) repeated for
 * each broker of the cluster.
 */
export type SeriesSpec =
  | { readonly kind: 'metric'; readonly metric: MetricSpec }
  | {
      readonly kind: 'per-broker';
      readonly sumOf: readonly [MetricSpec, ...MetricSpec[]];
      readonly label: string;
    };

export interface GraphWidgetSpec {
  readonly title: string;
  /** Of the dashboard's 24 columns. */
  readonly width: number;
  /** min undefined: the axis follows the data below zero too (a result can be a loss). */
  readonly yAxis: { readonly min?: number; readonly max?: number };
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
      width: 12,
      yAxis: { min: 0 },
      series: [METRICS.breachesOpen, METRICS.breachesBegun, METRICS.breachesCleared].map(line),
    },
    {
      title: 'Records missing before a batch (offset gaps)',
      width: 12,
      yAxis: { min: 0 },
      series: [line(METRICS.offsetGapRecords)],
    },
  ],
  [
    {
      title: 'Financial result realized per minute (base currency)',
      width: 12,
      yAxis: {},
      series: [line(METRICS.realizedResult)],
    },
    {
      title: "The bank's total result: realized + unrealized (base currency)",
      width: 12,
      yAxis: {},
      series: [line(METRICS.bankTotalResult)],
    },
  ],
];

/**
 * The result panel: per branch × currency the latest 'position result' line (POSITION_RESULT_LOG), a
 * CloudWatch Logs Insights table over the aggregator's log group; the local dashboard shows the same
 * columns from the position_result view.
 */
export const RESULT_PANEL = {
  title: 'Financial result per position (base currency): latest of each',
  query: [
    `filter message = '${POSITION_RESULT_LOG.message}'`,
    '| stats latest(position) as position, latest(averageRate) as averageRate, latest(realized) as realized, ' +
      'latest(unrealized) as unrealized, latest(total) as total, latest(status) as status by branch, currency',
    '| sort branch, currency',
  ].join('\n'),
} as const;
