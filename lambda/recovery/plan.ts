/**
 * What the recovery does with one partition, decided from where the positions stand (the checkpoint)
 * and what the topic and the mapping's consumer group hold. Pure, so that every case is tested apart
 * from Kafka and PostgreSQL.
 */

/** Where one partition stands. */
export interface PartitionPosition {
  readonly partition: number;
  /** The next offset the positions expect; undefined when the database has no checkpoint for it. */
  readonly checkpoint: number | undefined;
  /** The topic's first offset still held (log start: below it, retention or deleteRecords trimmed). */
  readonly logStart: number;
  /** The offset the next record will get (high watermark). */
  readonly logEnd: number;
  /** The mapping's consumer group's committed offset; undefined when it has none. */
  readonly committed: number | undefined;
}

/** Offsets [fromOffset, toOffset] the topic no longer holds, and why. */
export interface MissingRange {
  readonly fromOffset: number;
  readonly toOffset: number;
  readonly reason: string;
}

export type PartitionPlan =
  /** Nothing between the checkpoint and the target: the mapping carries on from here. */
  | { readonly action: 'up-to-date'; readonly from: number; readonly to: number }
  /** Offsets [from, to) are in the topic and not in the positions: apply them, in order. */
  | { readonly action: 'apply'; readonly from: number; readonly to: number }
  /**
   * Offsets below the log start are missing: nothing can be applied past them until an operator
   * accepts their loss; then [missing.toOffset + 1, to) is applied.
   */
  | { readonly action: 'missing'; readonly missing: MissingRange; readonly to: number };

/**
 * The plan for a partition. The target is where the mapping's next (or retried) batch starts: the
 * group's committed offset, or the log start if that was trimmed since, or, when the group has none,
 * the topic's end; from there on the mapping applies on its own. A partition without a checkpoint
 * starts at the log start: the positions hold none of it.
 */
export function planPartition(position: PartitionPosition): PartitionPlan {
  const from = position.checkpoint ?? position.logStart;
  const to = Math.min(Math.max(position.committed ?? position.logEnd, position.logStart), position.logEnd);
  if (from >= to) return { action: 'up-to-date', from, to };
  if (from < position.logStart) {
    return {
      action: 'missing',
      missing: {
        fromOffset: from,
        toOffset: position.logStart - 1,
        reason:
          `retention: the topic's partition ${position.partition} starts at offset ${position.logStart} ` +
          '(trimmed by retention.ms/retention.bytes or deleteRecords before the positions had them)',
      },
      to,
    };
  }
  return { action: 'apply', from, to };
}
