import { ACCEPT_OFFSET_GAPS_ENV } from '../../contracts/functions.js';

/**
 * A batch that starts past its partition's checkpoint: the offsets between never reached the
 * positions. After a database restore (the mapping's committed offsets are ahead of the restored
 * checkpoints) they are usually still in the topic; trimmed by retention, they are not.
 */

/** One partition's gap as apply_batch names it. */
export interface OffsetGap {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the positions expected. */
  readonly checkpoint: number;
  /** Where the batch starts: offsets [checkpoint, firstOffset) are missing. */
  readonly firstOffset: number;
}

/**
 * What the aggregator does with a gap: refuse the batch (the default: the partition waits, the
 * mapping retries, the recovery applies the missing offsets from the topic) or accept it (apply the
 * batch and record the hole in offset_gap: the setting for provisioned mode, whose mapping discards a
 * batch after its retries). Set by ACCEPT_OFFSET_GAPS_ENV, from the stack's acceptOffsetGaps.
 */
export type GapPolicy = 'refuse' | 'accept';

/** The aggregator's log line per gap, with the gap's fields and `missingRecords`. */
export const OFFSET_GAP_LOG = {
  refused: 'offset gap: batch refused, partition stopped',
  accepted: 'offset gap: accepted (acceptOffsetGaps), batch applied',
} as const;

/** A gap as its log line carries it. */
export function gapLogFields(gap: OffsetGap): OffsetGap & { readonly missingRecords: number } {
  return { ...gap, missingRecords: gap.firstOffset - gap.checkpoint };
}

/** Records missing before the batch, over all its gaps: the OffsetGapRecords metric. */
export function missingRecords(gaps: readonly OffsetGap[]): number {
  return gaps.reduce((sum, gap) => sum + (gap.firstOffset - gap.checkpoint), 0);
}

function describeGap(gap: OffsetGap): string {
  return (
    `partition ${gap.topic}-${gap.partition}: checkpoint ${gap.checkpoint}, batch starts at ` +
    `${gap.firstOffset} (${gap.firstOffset - gap.checkpoint} records missing)`
  );
}

/**
 * Thrown for a batch refused because of a gap: nothing was written, and the invocation fails with
 * errorType OffsetGapError and a message naming each partition, checkpoint and first offset, so that
 * the mapping retries it until the recovery has applied the missing offsets.
 */
export class OffsetGapError extends Error {
  override readonly name = 'OffsetGapError';

  constructor(readonly gaps: readonly OffsetGap[]) {
    super(
      `batch refused, offsets missing before it: ${gaps.map(describeGap).join('; ')}. Nothing was ` +
        'written; the mapping retries it. Run the recovery (docs/RUNBOOK.md) to apply the missing ' +
        'offsets from the topic, or to accept their loss if the topic no longer holds them',
    );
  }
}

/** The gap policy from the environment: refuse unless ACCEPT_OFFSET_GAPS is "true". */
export function readGapPolicy(env: Readonly<Record<string, string | undefined>>): GapPolicy {
  const raw = env[ACCEPT_OFFSET_GAPS_ENV]?.trim();
  if (raw === undefined || raw === '' || raw === 'false') return 'refuse';
  if (raw === 'true') return 'accept';
  throw new Error(`${ACCEPT_OFFSET_GAPS_ENV} must be true or false, got "${raw}"`);
}
