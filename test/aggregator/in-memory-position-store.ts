import type { ApplyOutcome, PositionStore, Refusal } from '../../lambda/aggregator/position-store.js';
import { type BatchAggregate, partitionKey, type RejectedRecord } from '../../lambda/domain/aggregate.js';

/** A position as the fake holds it: bigint cents, so that its sums are exact. */
export interface StoredPosition {
  readonly sum: bigint;
  readonly count: number;
}

/**
 * The checkpoint semantics of apply_batch (db/migrations) in memory: a partition seen for the first
 * time starts at the batch's first offset; when a stored checkpoint is past any range's fromOffset the
 * batch conflicts, nothing is written and the checkpoints of all the batch's partitions come back;
 * otherwise positions, rejects (first one per offset wins) and checkpoints are updated together.
 * `refuse`, when given, plays the database refusing a batch's data: a batch it names a refusal for
 * writes nothing, and is refused before its checkpoints are looked at, as when PostgreSQL cannot read
 * a parameter (a constraint fails later, after the conflict check: the harder case is played).
 */
export class InMemoryPositionStore implements PositionStore {
  constructor(private readonly refuse?: (batch: BatchAggregate) => Refusal | undefined) {}

  /** Every batch handed to applyBatch, conflicting ones included. */
  readonly calls: BatchAggregate[] = [];
  /** Next offset to apply, keyed by `eventSource|topic-partition`. */
  readonly checkpoints = new Map<string, number>();
  /** Keyed by `branch|currency`. */
  readonly positions = new Map<string, StoredPosition>();
  /** Keyed by `topic-partition@offset`. */
  readonly rejected = new Map<string, RejectedRecord>();
  private lastBatchId = 0;

  async applyBatch(batch: BatchAggregate): Promise<ApplyOutcome> {
    this.calls.push(batch);
    const checkpointKey = (topic: string, partition: number) =>
      `${batch.eventSource}|${partitionKey(topic, partition)}`;

    const refusal = this.refuse?.(batch);
    if (refusal !== undefined) return refusal;

    for (const range of batch.ranges) {
      const key = checkpointKey(range.topic, range.partition);
      if (!this.checkpoints.has(key)) this.checkpoints.set(key, range.fromOffset);
    }
    const stored = (topic: string, partition: number) =>
      this.checkpoints.get(checkpointKey(topic, partition)) ?? 0;
    if (batch.ranges.some((range) => stored(range.topic, range.partition) > range.fromOffset)) {
      return {
        status: 'conflict',
        checkpoints: new Map(
          batch.ranges.map((range) => [
            partitionKey(range.topic, range.partition),
            stored(range.topic, range.partition),
          ]),
        ),
      };
    }

    for (const delta of batch.deltas) {
      const key = `${delta.branch}|${delta.currency}`;
      const position = this.positions.get(key) ?? { sum: 0n, count: 0 };
      this.positions.set(key, {
        sum: position.sum + delta.sum.toBigInt(),
        count: position.count + delta.count,
      });
    }
    for (const reject of batch.rejects) {
      const key = `${partitionKey(reject.topic, reject.partition)}@${reject.offset}`;
      if (!this.rejected.has(key)) this.rejected.set(key, reject);
    }
    for (const range of batch.ranges) {
      this.checkpoints.set(checkpointKey(range.topic, range.partition), range.nextOffset);
    }
    this.lastBatchId++;
    // Limits are apply_batch's: the fake holds none, so no batch breaches one.
    return {
      status: 'applied',
      batchId: this.lastBatchId,
      committedAt: new Date(),
      limitBreaches: [],
      openBreaches: 0,
    };
  }
}
