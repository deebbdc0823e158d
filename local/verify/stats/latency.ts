import { HISTOGRAM_BUCKET_MS } from '../../../lambda/domain/batch-aggregate.js';

/**
 * Produce-to-commit latency, the one statistic the soak and the benchmark report.
 *
 * What a consumer writes per batch (applied_batch) is when it committed and a histogram of its
 * records' Kafka timestamps: records per HISTOGRAM_BUCKET_MS (5 ms) from the oldest record on. A
 * record in bucket i was produced within [first + 5i, first + 5i + 5) ms, and its latency is taken
 * from the bucket's start: committedAt − (firstRecordTime + 5i). Each figure is therefore an upper
 * bound, at most 5 ms above the true latency; it never reports the pipeline faster than it was, which
 * is what a target such as "p99 under 3 s" needs. Percentiles are by nearest rank.
 */

/** What a consumer wrote about one batch: when it committed, and its records' Kafka timestamps. */
export interface BatchTiming {
  /** Epoch ms. */
  readonly committedAt: number;
  readonly recordCount: number;
  /** Start of histogram bucket 0 (epoch ms): the oldest record's Kafka timestamp. */
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

/** Which records count, by the time they were produced (epoch ms, [from, to)). @default all */
export interface ProducedWithin {
  readonly from: number;
  readonly to: number;
}

/** The latencies of the batches' records (of those produced within `window`, when given). */
export function latencySample(batches: readonly BatchTiming[], window?: ProducedWithin): LatencySample {
  const sample = new LatencySample();
  for (const batch of batches) {
    batch.histogram.forEach((count, bucket) => {
      const producedAt = batch.firstRecordTime + bucket * HISTOGRAM_BUCKET_MS;
      if (count > 0 && (!window || (producedAt >= window.from && producedAt < window.to)))
        sample.add(batch.committedAt - producedAt, count);
    });
  }
  return sample;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** The percentiles a report shows; undefined when no record was sampled. */
export function summarizeLatency(sample: LatencySample): LatencySummary | undefined {
  const at = (p: number) => sample.percentile(p) ?? 0;
  return sample.count === 0 ? undefined : { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
}
