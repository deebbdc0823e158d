import type { MSKEvent } from 'aws-lambda';
import { BatchAccumulator, type BatchAggregate, type RejectedRecord } from './batch-aggregate.js';
import { decodeDealFast, scanDeal } from './fast-decode.js';
import type { KafkaRecord } from './kafka-record.js';
import { DEFAULT_RULES, decodeTransaction, type ValidationRules } from './transaction.js';

/**
 * Aggregates a batch: valid deals summed per branch × currency, invalid records set aside with their
 * reason, and the offset range per partition. Records below `checkpoints` (next offset to apply, per
 * `partitionKey`) are skipped: they were applied by an earlier delivery.
 */
export function aggregateBatch(
  eventSource: string,
  records: readonly KafkaRecord[],
  checkpoints: ReadonlyMap<string, number> = new Map(),
  rules: ValidationRules = DEFAULT_RULES,
): BatchAggregate {
  const batch = new BatchAccumulator(eventSource, checkpoints);
  for (const record of records) {
    batch.enterPartition(record.topic, record.partition);
    if (!batch.accept(record.offset, record.timestamp)) continue;
    // decodeTransaction's decision, reason and amount for every input, faster for the producer's
    // values (lambda/domain/fast-decode.ts; test/lambda/domain/fast-decode.test.ts holds them equal).
    const decoded = decodeDealFast(record.value, rules);
    if (decoded.ok) batch.addDeal(decoded.value);
    else batch.addReject({ ...record, reason: decoded.reason });
  }
  return batch.finish();
}

// Values are decoded into this buffer one after the other: the producer's records never need a
// Buffer of their own. Measured (bench/handler-throughput/): Buffer.from(value, 'base64') per record was the
// largest single cost of the handler path after the fast decoder, about 150 of 580 ns.
// The value is handed to the scanner with its length, not as a view (a subarray per record was another
// 40 ns), and a 0 after it stops every comparison at its end.
const SCRATCH_BYTES = 64 * 1024;
const scratch = Buffer.alloc(SCRATCH_BYTES + 1);

function optionalBase64(text: string | null | undefined): Buffer | undefined {
  return text === null || text === undefined ? undefined : Buffer.from(text, 'base64');
}

/**
 * aggregateBatch straight from the MSK event, the handler's path: the same result as
 * aggregateBatch(event.eventSourceArn, decodeMskEvent(event), …), without a KafkaRecord or a value
 * Buffer for each valid record; keys and values are decoded only for records set aside.
 */
export function aggregateMskEvent(
  event: MSKEvent,
  checkpoints: ReadonlyMap<string, number> = new Map(),
  rules: ValidationRules = DEFAULT_RULES,
): BatchAggregate {
  const batch = new BatchAccumulator(event.eventSourceArn, checkpoints);
  for (const partitionRecords of Object.values(event.records)) {
    for (const record of partitionRecords) {
      const offset = Number(record.offset);
      const timestamp = Number(record.timestamp);
      batch.enterPartition(record.topic, record.partition);
      if (!batch.accept(offset, timestamp)) continue;
      const base64 = record.value as string | null | undefined;
      // Base64 of n bytes is 4·⌈n/3⌉ characters: a value that fits the scratch buffer is decoded there.
      if (typeof base64 === 'string' && base64.length > 0 && (base64.length / 4) * 3 <= SCRATCH_BYTES) {
        const length = scratch.write(base64, 'base64');
        scratch[length] = 0;
        const deal = scanDeal(scratch, rules, length);
        if (deal !== undefined) {
          batch.addDeal(deal);
          continue;
        }
      }
      const value = optionalBase64(base64);
      const decoded = decodeTransaction(value, rules);
      if (decoded.ok) {
        batch.addDeal(decoded.value);
        continue;
      }
      const rejected: { -readonly [K in keyof RejectedRecord]: RejectedRecord[K] } = {
        topic: record.topic,
        partition: record.partition,
        offset,
        timestamp,
        reason: decoded.reason,
      };
      const key = optionalBase64(record.key as string | null | undefined);
      if (key !== undefined) rejected.key = key;
      if (value !== undefined) rejected.value = value;
      batch.addReject(rejected);
    }
  }
  return batch.finish();
}
