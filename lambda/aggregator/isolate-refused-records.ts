import type { MSKEvent } from 'aws-lambda';
import { type BatchAggregate, type PositionDelta, partitionKey } from '../domain/batch-aggregate.js';
import {
  advanceStarts,
  halves,
  type PartStarts,
  partOf,
  recordsToApply,
  refusedRecordReason,
  setAsidePart,
  startsOf,
  sumDeltas,
} from '../domain/batch-parts.js';
import type { KafkaRecord } from '../domain/kafka-record.js';
import { formatCents, parseCents } from '../domain/money.js';
import type { ValidationRules } from '../domain/transaction.js';
import type { LimitBreachChange } from './limit-breach.js';
import { type OffsetGap, OffsetGapError } from './offset-gap.js';
import type { ApplyOutcome, PositionResult, PositionStore, Refusal } from './position-store.js';

/** What the parts of a refused batch came to, together. */
export interface IsolationReport {
  readonly applied: number;
  readonly rejected: number;
  /** Records the database refused, set aside with the SQLSTATE (counted in `rejected` too). */
  readonly refused: number;
  /** Records found applied by an earlier delivery while the parts were applied. */
  readonly skipped: number;
  readonly deltas: readonly PositionDelta[];
  /** The last part's batch; undefined when every record had been applied before. */
  readonly batchId: number | undefined;
  readonly committedAt: Date | undefined;
  /** The result the parts realized together (decimal text); undefined when nothing was applied. */
  readonly realizedInBase: string | undefined;
  /** The result of the positions each part moved, the latest per position. */
  readonly positionResults: readonly PositionResult[];
  /** The bank's total after the last part; undefined when nothing was applied. */
  readonly bankTotalInBase: string | null | undefined;
  /** The breaches every part began or cleared, in the parts' order. */
  readonly limitBreaches: readonly LimitBreachChange[];
  /** Breaches open after the last part; undefined when nothing was applied. */
  readonly openBreaches: number | undefined;
  /** Gaps a part was applied over (the store accepts gaps). */
  readonly gaps: readonly OffsetGap[];
  readonly roundTrips: number;
}

/**
 * Applies a batch the database refused, in parts, so that only the records that cause the refusal are
 * set aside. A refused part is halved and each half applied in offset order, down to single records;
 * a single record refused is set aside in rejected_transaction with the SQLSTATE and message. Each
 * part commits on its own, its ranges starting where the previous part's ended, so a crash between
 * parts leaves the checkpoint exact and the retried event skips what is applied. With k records
 * refused among n, that is about 2·k·log2(n) round trips; the steady state never comes here.
 *
 * A refusal can come before apply_batch looks at the checkpoints (a parameter PostgreSQL cannot read
 * fails the statement first), so a part may find its records applied by an earlier delivery: they are
 * dropped as skipped and the part starts at the checkpoint, as processBatch does.
 *
 * Throws when a set-aside record is refused too (the database refuses what any batch writes: not a
 * record's fault), and when checkpoints keep moving (another consumer applies the same partitions).
 */
export async function isolateRefusedRecords(
  event: MSKEvent,
  refusedBatch: BatchAggregate,
  checkpoints: ReadonlyMap<string, number>,
  refusal: Refusal,
  store: PositionStore,
  rules?: ValidationRules,
): Promise<IsolationReport> {
  const starts: PartStarts = startsOf(refusedBatch);
  const known = new Map(checkpoints);
  // One conflict per partition is a redelivery found late; more is another writer.
  let conflictsLeft = refusedBatch.ranges.length;
  const applied: { part: BatchAggregate; outcome: Extract<ApplyOutcome, { status: 'applied' }> }[] = [];
  let refused = 0;
  let skipped = 0;
  let roundTrips = 0;

  /** The records not applied before, as far as the checkpoints known say; the others counted skipped. */
  const fresh = (records: readonly KafkaRecord[]): KafkaRecord[] => {
    const left = records.filter(
      (record) => record.offset >= (known.get(partitionKey(record.topic, record.partition)) ?? 0),
    );
    skipped += records.length - left.length;
    return left;
  };

  /** Applies a part; 'conflict' means its records are to be looked at again against new checkpoints. */
  const apply = async (part: BatchAggregate): Promise<'applied' | 'conflict' | Refusal> => {
    roundTrips++;
    const outcome = await store.applyBatch(part);
    if (outcome.status === 'applied') {
      applied.push({ part, outcome });
      advanceStarts(starts, part);
      return 'applied';
    }
    if (outcome.status === 'refused') return outcome;
    // The refusal came before the checkpoints were looked at, and the batch starts past one.
    if (outcome.status === 'gap') throw new OffsetGapError(outcome.gaps);
    if (conflictsLeft-- === 0) {
      throw new Error(
        'checkpoints kept moving while a refused batch was applied in parts: another consumer is ' +
          'applying the same partitions at the same time',
      );
    }
    for (const [key, next] of outcome.checkpoints) {
      known.set(key, next);
      if (next > (starts.get(key) ?? next)) starts.set(key, next);
    }
    return 'conflict';
  };

  const setAside = async (record: KafkaRecord, cause: Refusal): Promise<void> => {
    const reason = refusedRecordReason(cause.sqlstate, cause.message);
    for (let left = [record]; left.length > 0; left = fresh(left)) {
      const outcome = await apply(setAsidePart(refusedBatch.eventSource, record, reason, starts));
      if (outcome === 'applied') {
        refused++;
        return;
      }
      if (outcome !== 'conflict') {
        throw new Error(
          `the database refused ${record.topic}-${record.partition}@${record.offset} (SQLSTATE ` +
            `${cause.sqlstate}) and refused to set it aside too (SQLSTATE ${outcome.sqlstate}): ${outcome.message}`,
        );
      }
    }
  };

  // `records` are known to be refused together: a single one is set aside, more are halved.
  const isolate = async (records: readonly KafkaRecord[], cause: Refusal): Promise<void> => {
    const [record] = records;
    if (records.length === 1 && record !== undefined) return setAside(record, cause);
    for (const half of halves(records)) {
      for (let left = fresh(half); left.length > 0; left = fresh(left)) {
        const outcome = await apply(partOf(refusedBatch.eventSource, left, starts, rules));
        if (outcome === 'applied') break;
        if (outcome !== 'conflict') {
          await isolate(left, outcome);
          break;
        }
      }
    }
  };

  await isolate(recordsToApply(event, checkpoints), refusal);

  const last = applied.at(-1);
  return {
    applied: applied.reduce((n, { part }) => n + part.recordCount - part.rejects.length, 0),
    rejected: applied.reduce((n, { part }) => n + part.rejects.length, 0),
    refused,
    skipped,
    deltas: sumDeltas(applied.map(({ part }) => part.deltas)),
    batchId: last?.outcome.batchId,
    committedAt: last?.outcome.committedAt,
    realizedInBase:
      last === undefined
        ? undefined
        : formatCents(applied.reduce((sum, { outcome }) => sum + parseCents(outcome.realizedInBase), 0n)),
    positionResults: [
      ...new Map(
        applied.flatMap(({ outcome }) =>
          outcome.positionResults.map(
            (result) => [JSON.stringify([result.branch, result.currency]), result] as const,
          ),
        ),
      ).values(),
    ],
    bankTotalInBase: last?.outcome.bankTotalInBase,
    limitBreaches: applied.flatMap(({ outcome }) => outcome.limitBreaches),
    openBreaches: last?.outcome.openBreaches,
    gaps: applied.flatMap(({ outcome }) => outcome.gaps),
    roundTrips,
  };
}
