/**
 * The rules of the search for the highest sustained rate, and the figures it is judged on: how the
 * oldest record's age grows over a step, when a step holds, the next rate to try, how fast a cold
 * consumer catches up. Pure; the report prints its rules from the constants here.
 */

import type { BatchTiming } from '../../local/verify/stats/latency.js';
import { formatNumber } from '../report/stats.js';
import { WINDOW_MS } from './plan.js';

/**
 * How much the age of each batch's oldest record at its commit (committed_at − first_record_time) grew
 * over [from, to), by a least-squares line through the batches whose oldest record was produced then.
 * A consumer that keeps up commits every batch at about the same age (window or trigger, plus its
 * work); one slower than the offered rate falls behind steadily, so the age grows by (1 − capacity /
 * rate) per second. Unlike the latency of single records, which rises and falls with every window
 * (a sawtooth), the oldest record's age is flat when all is well, so a short step can be judged.
 */
export function oldestAgeGrowth(
  batches: readonly BatchTiming[],
  from: number,
  to: number,
): { readonly growthMs: number; readonly medianAgeMs: number; readonly batches: number } | undefined {
  const points = batches
    .filter((batch) => batch.firstRecordTime >= from && batch.firstRecordTime < to)
    .map((batch) => ({ x: batch.committedAt, y: batch.committedAt - batch.firstRecordTime }));
  if (points.length < 3) return undefined;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / points.length;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / points.length;
  let covariance = 0;
  let variance = 0;
  for (const p of points) {
    covariance += (p.x - meanX) * (p.y - meanY);
    variance += (p.x - meanX) ** 2;
  }
  if (variance === 0) return undefined;
  const ages = points.map((p) => p.y).sort((a, b) => a - b);
  const medianAgeMs = ages[Math.floor(ages.length / 2)] ?? 0;
  return { growthMs: (covariance / variance) * (to - from), medianAgeMs, batches: points.length };
}

export interface SteadyVerdict {
  readonly sustained: boolean;
  /** What stopped it: the producers could not offer the rate, or the consumer fell behind. */
  readonly limitedBy: 'producers' | 'consumer' | undefined;
  readonly reason: string;
}

/** The producers must offer at least this share of the rate asked for the step to count. */
export const MIN_DELIVERED_SHARE = 0.97;

/**
 * A batch's oldest record waits at most one window (or trigger) to be batched, plus the batch's work:
 * when the median batch commits its oldest record later than two windows and a second, records are
 * queueing, even if the queue happens not to grow during the step.
 */
export const MAX_MEDIAN_OLDEST_AGE_MS = 2 * WINDOW_MS + 1_000;

/**
 * How much the oldest record's age may grow across a step: this share of the step (a consumer at
 * least 95 % as fast as the rate) or half a window, whichever is more.
 */
export const MAX_AGE_GROWTH_SHARE = 0.05;

/** The search's step: down by this factor while steps fail, up by its inverse while they hold. */
export const STEP_RATE_FACTOR = 0.85;
/**
 * The search stops once the highest held and the lowest failed rate are within this ratio. 5 %, not
 * 10 %: the financial result's target is a cost of at most 10 % of the sustained rate, read from two
 * searches (result on and off), and at 10 % each the figure could not tell 0 from 10 %. Costs about
 * one step more per search.
 */
export const BRACKET_RATIO = 1.05;

/**
 * A rate is sustained when the producers offered it, everything was committed soon after they
 * stopped, the oldest record's age at commit did not grow across the step by more than
 * MAX_AGE_GROWTH_SHARE of the step or half a window (where in its window or
 * trigger a batch's first record fell moves its age by up to a window; a short step sees few
 * batches), and the median batch's oldest record was at most MAX_MEDIAN_OLDEST_AGE_MS old at its commit.
 */
export function judgeSteadyPhase(input: {
  readonly offeredRate: number;
  readonly deliveredRate: number;
  readonly drained: boolean;
  readonly spanMs: number;
  readonly growthMs: number | undefined;
  readonly medianAgeMs: number | undefined;
}): SteadyVerdict {
  const { offeredRate, deliveredRate, drained, spanMs, growthMs, medianAgeMs } = input;
  if (!drained) {
    return {
      sustained: false,
      limitedBy: 'consumer',
      reason: 'not everything was committed in time after the producers stopped',
    };
  }
  if (deliveredRate < MIN_DELIVERED_SHARE * offeredRate) {
    return {
      sustained: false,
      limitedBy: 'producers',
      reason: `the producers offered only ${formatNumber(deliveredRate)} records/s`,
    };
  }
  if (growthMs === undefined || medianAgeMs === undefined) {
    return { sustained: false, limitedBy: undefined, reason: 'too few batches to judge' };
  }
  const allowance = Math.max(WINDOW_MS / 2, MAX_AGE_GROWTH_SHARE * spanMs);
  if (growthMs > allowance) {
    return {
      sustained: false,
      limitedBy: 'consumer',
      reason: `the consumer fell behind: its oldest record's age at commit grew by ${formatNumber(growthMs)} ms over the step`,
    };
  }
  if (medianAgeMs > MAX_MEDIAN_OLDEST_AGE_MS) {
    return {
      sustained: false,
      limitedBy: 'consumer',
      reason: `records queued: the median batch committed its oldest record ${formatNumber(medianAgeMs)} ms after it was produced`,
    };
  }
  return { sustained: true, limitedBy: undefined, reason: 'kept up' };
}

/**
 * How fast a consumer catches up on a preloaded topic from a cold start, the same way for every
 * system: the records committed up to the batch that reaches 90 % of them, over the time from the
 * consumer's start to that commit. Start-up (joining the group, planning the first batch) counts, as
 * it does after an outage; the last 10 % is left out because its partly filled batches wait for the
 * window. `peakRate` (from the first commit to the 90 % one) is given when there were at least three
 * batches in between: Spark's first micro-batch takes all there is, so it has none.
 */
export function drainRate(
  commits: readonly { readonly committedAt: number; readonly recordCount: number }[],
  startedAt: number,
): { readonly rate: number; readonly peakRate: number | undefined } {
  const sorted = [...commits].sort((a, b) => a.committedAt - b.committedAt);
  const total = sorted.reduce((sum, commit) => sum + commit.recordCount, 0);
  const first = sorted[0];
  if (!first) return { rate: 0, peakRate: undefined };
  let committed = 0;
  for (const [index, commit] of sorted.entries()) {
    committed += commit.recordCount;
    if (committed < 0.9 * total) continue;
    const rate = (1000 * committed) / Math.max(1, commit.committedAt - startedAt);
    const sinceFirst = commit.committedAt - first.committedAt;
    const peakRate =
      index >= 3 && sinceFirst > 0 ? (1000 * (committed - first.recordCount)) / sinceFirst : undefined;
    return { rate, peakRate };
  }
  return { rate: 0, peakRate: undefined };
}

/** CPU milliseconds a role spent per 1,000 records at a step's offered rate. */
export function cpuMsPerThousand(
  sharePercent: number | undefined,
  ratePerSecond: number,
): number | undefined {
  if (sharePercent === undefined || ratePerSecond <= 0) return undefined;
  return (10 * sharePercent) / (ratePerSecond / 1000);
}

/**
 * The next rate to try in the search for the highest sustained rate: while every step failed, down by
 * `factor`; while every step held, up by 1/`factor` (never past `ceiling`, the producers' own rate);
 * once a held rate and a failed one above it bracket the answer, halfway between them until they are
 * within BRACKET_RATIO. Undefined when the search is over.
 */
export function nextStepRate(
  tried: readonly { readonly rate: number; readonly held: boolean }[],
  ceiling: number,
  factor = STEP_RATE_FACTOR,
): number | undefined {
  if (tried.length === 0) return undefined;
  const held = tried.filter((step) => step.held).map((step) => step.rate);
  const highestHeld = held.length > 0 ? Math.max(...held) : undefined;
  // A failure below a held rate is noise (a busy moment on the machine): it brackets nothing.
  const failed = tried
    .filter((step) => !step.held && (highestHeld === undefined || step.rate > highestHeld))
    .map((step) => step.rate);
  const lowestFailed = failed.length > 0 ? Math.min(...failed) : undefined;
  let next: number;
  if (highestHeld !== undefined && lowestFailed !== undefined) {
    if (lowestFailed <= highestHeld * BRACKET_RATIO) return undefined;
    next = (highestHeld + lowestFailed) / 2;
  } else if (highestHeld !== undefined) {
    if (highestHeld >= ceiling) return undefined;
    next = Math.min(highestHeld / factor, ceiling);
  } else {
    next = Math.min(...tried.map((step) => step.rate)) * factor;
  }
  const rounded = roundRate(next);
  return tried.some((step) => step.rate === rounded) ? undefined : rounded;
}

/** Rates are tried in whole thousands, at least 1,000 records/s. */
export function roundRate(rate: number): number {
  return Math.max(1_000, Math.round(rate / 1_000) * 1_000);
}
