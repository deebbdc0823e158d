/**
 * When the database refuses a batch's data, the aggregator finds the records that cause it by applying
 * the batch in parts (lambda/aggregator/isolate-refused-records.ts). These are the parts, pure: each a
 * run of the batch's records whose ranges start where the previous part's ended, so that the parts
 * tile the batch's offset ranges and the checkpoint stays exact whichever of them commit.
 */
import type { MSKEvent } from 'aws-lambda';
import { aggregateBatch } from './aggregate.js';
import {
  BatchAccumulator,
  type BatchAggregate,
  DeltaTable,
  type PositionDelta,
  partitionKey,
} from './batch-aggregate.js';
import { decodeMskEvent, type KafkaRecord } from './kafka-record.js';
import { escapeText } from './safe-text.js';
import type { ValidationRules } from './transaction.js';

/** Per `partitionKey`, the offset the next part of that partition starts at. */
export type PartStarts = Map<string, number>;

// PostgreSQL's messages are short; the excerpt of a value one may quote is cut with the rest.
const MAX_DATABASE_MESSAGE_CODE_POINTS = 200;

/** The reason a record the database refused is set aside with. */
export function refusedRecordReason(sqlstate: string, message: string): string {
  return (
    `the database refused this record: SQLSTATE ${escapeText(sqlstate, 5)}: ` +
    escapeText(message, MAX_DATABASE_MESSAGE_CODE_POINTS)
  );
}

/** The event's records at or above `checkpoints`, in the event's order: those a batch of it applies. */
export function recordsToApply(event: MSKEvent, checkpoints: ReadonlyMap<string, number>): KafkaRecord[] {
  return decodeMskEvent(event).filter(
    (record) => record.offset >= (checkpoints.get(partitionKey(record.topic, record.partition)) ?? 0),
  );
}

/** Where the parts of `batch` start: at each of its ranges' first offset. */
export function startsOf(batch: BatchAggregate): PartStarts {
  return new Map(batch.ranges.map((range) => [partitionKey(range.topic, range.partition), range.fromOffset]));
}

/** Moves the starts past an applied part. */
export function advanceStarts(starts: PartStarts, part: BatchAggregate): void {
  for (const range of part.ranges) starts.set(partitionKey(range.topic, range.partition), range.nextOffset);
}

// A part's ranges start at the starts, not at its first record: offsets a compacted or transactional
// topic leaves out between two records are then no gap (offset_gap) but part of the range.
function startAtStarts(part: BatchAggregate, starts: PartStarts): BatchAggregate {
  for (const range of part.ranges) {
    range.fromOffset = starts.get(partitionKey(range.topic, range.partition)) ?? range.fromOffset;
  }
  return part;
}

/** The aggregate of a run of the batch's records (in the batch's order) as a part of it. */
export function partOf(
  eventSource: string,
  records: readonly KafkaRecord[],
  starts: PartStarts,
  rules?: ValidationRules,
): BatchAggregate {
  return startAtStarts(aggregateBatch(eventSource, records, new Map(), rules), starts);
}

/** A part of one record, set aside with `reason` whatever its value holds. */
export function setAsidePart(
  eventSource: string,
  record: KafkaRecord,
  reason: string,
  starts: PartStarts,
): BatchAggregate {
  const batch = new BatchAccumulator(eventSource, new Map());
  batch.enterPartition(record.topic, record.partition);
  batch.accept(record.offset, record.timestamp);
  batch.addReject({ ...record, reason });
  return startAtStarts(batch.finish(), starts);
}

/** The first and the second half of a run of records (the first the shorter by at most one). */
export function halves<T>(items: readonly T[]): [T[], T[]] {
  const middle = Math.floor(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}

/** The deltas of several parts summed per branch × currency, in key order. */
export function sumDeltas(parts: readonly (readonly PositionDelta[])[]): PositionDelta[] {
  const table = new DeltaTable();
  for (const deltas of parts) {
    for (const delta of deltas) {
      const sum = table.cell(delta.branch, delta.currency);
      sum.sum.addSum(delta.sum);
      sum.count += delta.count;
      // The parts are in offset order, so their deals are too.
      sum.amounts.push(...delta.amounts);
      sum.bases.push(...delta.bases);
      sum.tradeTimes.push(...delta.tradeTimes);
    }
  }
  return table.inKeyOrder();
}
