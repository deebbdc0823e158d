/** Summaries of repeated measurements, and how a figure stands against its target. Pure. */
import { quantile } from '../../local/verify/stats/quantile.js';

export interface Summary {
  /** Number of samples. */
  readonly runs: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation between closest ranks). */
  readonly q1: number;
  readonly q3: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new RangeError('summary of no samples');
  if (samples.some((sample) => !Number.isFinite(sample))) {
    throw new RangeError(`samples must be finite numbers, got ${samples.join(', ')}`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    median: quantile(sorted, 0.5),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
  };
}

/** A target a figure is held against: at least or at most a bound. */
export interface Target {
  readonly comparison: 'at least' | 'at most';
  readonly bound: number;
}

export function atLeast(bound: number): Target {
  return { comparison: 'at least', bound };
}

export function atMost(bound: number): Target {
  return { comparison: 'at most', bound };
}

export function meets(value: number, target: Target): boolean {
  return target.comparison === 'at least' ? value >= target.bound : value <= target.bound;
}

/** A number for a report: thousands separated by commas, with `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Millions with two decimals: 3_141_592 → "3.14 M". */
export function formatMillions(value: number): string {
  return `${formatNumber(value / 1e6, 2)} M`;
}

/** "median (min–max)" in the given format. */
export function formatSummary(summary: Summary, format: (value: number) => string): string {
  if (summary.min === summary.max) return format(summary.median);
  return `${format(summary.median)} (${format(summary.min)}–${format(summary.max)})`;
}
