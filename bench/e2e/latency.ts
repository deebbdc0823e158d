/**
 * Produce → commit latency from what a consumer wrote per batch: its commit time and the 5 ms
 * histogram of its records' Kafka timestamps. Pure.
 *
 * The soak computes a p99 from the same histograms (local/soak.ts); the one statistic for both is to
 * live in local/stats/latency.ts. Until it does, this is the benchmark's, and its convention (a record
 * counts from its bucket's start) is stated in the report.
 */
import { HISTOGRAM_BUCKET_MS } from '../../lambda/domain/aggregate.js';

/** What a consumer wrote about one batch: when it committed, and its records' Kafka timestamps. */
export interface BatchTiming {
  readonly committedAt: number;
  readonly recordCount: number;
  /** Start of histogram bucket 0 (epoch ms). */
  readonly firstRecordTime: number;
  /** Records per HISTOGRAM_BUCKET_MS of Kafka timestamp from firstRecordTime on. */
  readonly histogram: readonly number[];
}

/** Latencies in whole milliseconds with a count each: a few thousand values stand for millions of records. */
export class LatencySample {
  private readonly counts = new Map<number, number>();
  private total = 0;
  private sorted: [number, number][] | undefined;

  add(latencyMs: number, count: number): void {
    if (count <= 0) return;
    const key = Math.round(latencyMs);
    this.counts.set(key, (this.counts.get(key) ?? 0) + count);
    this.total += count;
    this.sorted = undefined;
  }

  get count(): number {
    return this.total;
  }

  /** Nearest rank: the smallest latency that at least the fraction p of the records do not exceed. */
  percentile(p: number): number | undefined {
    if (this.total === 0) return undefined;
    this.sorted ??= [...this.counts].sort((a, b) => a[0] - b[0]);
    const rank = Math.max(1, Math.ceil(p * this.total));
    let seen = 0;
    for (const [latency, count] of this.sorted) {
      seen += count;
      if (seen >= rank) return latency;
    }
    return this.sorted[this.sorted.length - 1]?.[0];
  }
}

/**
 * Latency produce → commit of the records produced in [from, to): committedAt − (firstRecordTime +
 * bucket × 5 ms). Each record counts from the start of its bucket, so a figure is at most 5 ms high.
 */
export function latencySample(batches: readonly BatchTiming[], from: number, to: number): LatencySample {
  const sample = new LatencySample();
  for (const batch of batches) {
    batch.histogram.forEach((count, bucket) => {
      const producedAt = batch.firstRecordTime + bucket * HISTOGRAM_BUCKET_MS;
      if (count > 0 && producedAt >= from && producedAt < to)
        sample.add(batch.committedAt - producedAt, count);
    });
  }
  return sample;
}
