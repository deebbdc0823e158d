import { DEALS_SENT_LOG, type MetricSpec, type Statistic } from '../../contracts/telemetry/metrics.js';
import type { EmfDocument } from '../lambda-runtime/function-output.js';
import { quantile } from '../verify/stats/quantile.js';

/**
 * Whether an EMF document carries this metric as CloudWatch would index it: the name declared in a
 * metric set whose dimension set is exactly the spec's dimension names, each with the spec's value.
 * A dimension set of other names is another metric in CloudWatch, and an empty graph in AWS.
 */
export function emfCarries(document: EmfDocument, spec: MetricSpec): boolean {
  if (spec.namespace !== 'app') return false;
  const names = Object.keys(spec.dimensions).sort();
  return document._aws.CloudWatchMetrics.some(
    (set) =>
      set.Metrics.some((m) => m.Name === spec.metricName) &&
      set.Dimensions.some(
        (dimensionSet) =>
          dimensionSet.length === names.length &&
          [...dimensionSet].sort().every((name, i) => name === names[i]) &&
          names.every((name) => document[name] === spec.dimensions[name]),
      ),
  );
}

/**
 * The count the stack's metric filter takes from a producer log record (`$.message = "deals sent"`,
 * value `$.sent`), or undefined when the filter would not match it.
 */
export function metricFilterValue(record: Readonly<Record<string, unknown>>): number | undefined {
  if (record.message !== DEALS_SENT_LOG.message) return undefined;
  const value = record[DEALS_SENT_LOG.countField];
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** One statistic over a period's samples, as CloudWatch names them. */
export function statisticOf(statistic: Statistic, samples: readonly number[]): number {
  if (samples.length === 0) throw new RangeError('statistic of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  switch (statistic) {
    case 'Sum':
      return samples.reduce((sum, v) => sum + v, 0);
    case 'Maximum':
      return sorted[sorted.length - 1] as number;
    case 'Minimum':
      return sorted[0] as number;
    case 'Average':
      return samples.reduce((sum, v) => sum + v, 0) / samples.length;
    case 'p50':
      return quantile(sorted, 0.5);
    case 'p99':
      return quantile(sorted, 0.99);
  }
}

/** [period start in epoch seconds, value] */
export type DataPoint = readonly [number, number];

/**
 * Samples per series (keyed by a MetricSpec's id) and their data points per period, as CloudWatch
 * aggregates what it receives. The current period is included while it fills, so a live page moves.
 */
export class MetricSamples {
  private readonly samples = new Map<string, { t: number; v: number }[]>();

  constructor(private readonly keepMs: number) {}

  add(seriesId: string, value: number, atMs = Date.now()): void {
    const list = this.samples.get(seriesId) ?? [];
    list.push({ t: atMs, v: value });
    while (list.length > 0 && (list[0]?.t ?? atMs) < atMs - this.keepMs) list.shift();
    this.samples.set(seriesId, list);
  }

  dataPoints(spec: MetricSpec): DataPoint[] {
    const periodMs = spec.periodSeconds * 1000;
    const byPeriod = new Map<number, number[]>();
    for (const { t, v } of this.samples.get(spec.id) ?? []) {
      const start = Math.floor(t / periodMs) * periodMs;
      byPeriod.set(start, [...(byPeriod.get(start) ?? []), v]);
    }
    return [...byPeriod.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, values]) => [start / 1000, statisticOf(spec.statistic, values)] as const);
  }
}
