import type { MSKEvent } from 'aws-lambda';
import type { BatchAggregate, PositionDelta } from '../domain/aggregate.js';
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
import type { ValidationRules } from '../domain/transaction.js';
import type { ApplyOutcome, PositionStore, Refusal } from './position-store.js';

/** What the parts of a refused batch came to, together. */
export interface IsolationReport {
  readonly applied: number;
  readonly rejected: number;
  /** Records the database refused, set aside with the SQLSTATE (counted in `rejected` too). */
  readonly refused: number;
  readonly deltas: readonly PositionDelta[];
  /** The last part's batch. */
  readonly batchId: number;
  readonly committedAt: Date;
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
 * Throws when a set-aside record is refused too (the database refuses what any batch writes: not a
 * record's fault), and when a part conflicts (another consumer applies the same partitions).
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
  const applied: { part: BatchAggregate; batchId: number; committedAt: Date }[] = [];
  let refused = 0;
  let roundTrips = 0;

  const apply = async (part: BatchAggregate): Promise<ApplyOutcome> => {
    roundTrips++;
    const outcome = await store.applyBatch(part);
    if (outcome.status === 'conflict') {
      throw new Error(
        'a checkpoint moved while a refused batch was applied in parts: another consumer is applying ' +
          'the same partitions at the same time',
      );
    }
    if (outcome.status === 'applied') {
      applied.push({ part, batchId: outcome.batchId, committedAt: outcome.committedAt });
      advanceStarts(starts, part);
    }
    return outcome;
  };

  const setAside = async (record: KafkaRecord, cause: Refusal): Promise<void> => {
    const reason = refusedRecordReason(cause.sqlstate, cause.message);
    const outcome = await apply(setAsidePart(refusedBatch.eventSource, record, reason, starts));
    if (outcome.status === 'refused') {
      throw new Error(
        `the database refused ${record.topic}-${record.partition}@${record.offset} (SQLSTATE ` +
          `${cause.sqlstate}) and refused to set it aside too (SQLSTATE ${outcome.sqlstate}): ${outcome.message}`,
      );
    }
    refused++;
  };

  // `records` are known to be refused together: a single one is set aside, more are halved.
  const isolate = async (records: readonly KafkaRecord[], cause: Refusal): Promise<void> => {
    const [record] = records;
    if (records.length === 1 && record !== undefined) return setAside(record, cause);
    for (const half of halves(records)) {
      const outcome = await apply(partOf(refusedBatch.eventSource, half, starts, rules));
      if (outcome.status === 'refused') await isolate(half, outcome);
    }
  };

  await isolate(recordsToApply(event, checkpoints), refusal);

  const last = applied.at(-1);
  if (last === undefined) throw new Error('a refused batch was applied in parts, yet no part was applied');
  return {
    applied: applied.reduce((n, { part }) => n + part.recordCount - part.rejects.length, 0),
    rejected: applied.reduce((n, { part }) => n + part.rejects.length, 0),
    refused,
    deltas: sumDeltas(applied.map(({ part }) => part.deltas)),
    batchId: last.batchId,
    committedAt: last.committedAt,
    roundTrips,
  };
}
