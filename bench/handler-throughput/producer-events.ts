/**
 * The handler benchmark's input: MSK events as the event source mapping delivers them, filled with
 * the producer's own record values, and the handler's path over one of them.
 */
import type { MSKEvent } from 'aws-lambda';
import { aggregateMskEvent, type BatchAggregate } from '../../lambda/domain/aggregate.js';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { decodeMskEvent, encodeMskEvent, type KafkaRecord } from '../../lambda/domain/kafka-record.js';
import { BENCH_TOPIC, WINDOW_MS } from '../e2e/plan.js';
import { BENCH_EPOCH_MS, producerRecords } from '../producer-records.js';

export const RECORDS_PER_EVENT = 10_000;
export const EVENT_SOURCE_ARN =
  'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/7f3c9a52-1b2d-4e5f-9a8b-0c1d2e3f4a5b-2';
// The producer's ids start with the first 24 characters of its Lambda request id (a UUID).
const ID_PREFIX = '8c4e0c1e-5b1a-4f7e-9d2c-';

export interface BenchEvent {
  readonly event: MSKEvent;
  /** The same records decoded once, for the variants that start after decodeMskEvent. */
  readonly records: readonly KafkaRecord[];
  /** Mean size of a record value in bytes, before base64. */
  readonly meanValueBytes: number;
}

/**
 * Events as the MSK event source mapping delivers them: one partition each, `recordsPerEvent` records
 * whose values are exactly what the producer sends (toMessage of a generated deal), stamped over a
 * 2 s batching window.
 */
export function producerEvents(count: number, recordsPerEvent: number = RECORDS_PER_EVENT): BenchEvent[] {
  return Array.from({ length: count }, (_, partition) => {
    const generator = new TransactionGenerator({ seed: 1 + partition, idPrefix: ID_PREFIX });
    const sources = producerRecords(generator, {
      topic: BENCH_TOPIC,
      partition,
      firstOffset: 1_000_000,
      count: recordsPerEvent,
      timestampOf: (offset) => BENCH_EPOCH_MS + Math.floor((offset * WINDOW_MS) / recordsPerEvent),
    });
    const valueBytes = sources.reduce((sum, record) => sum + record.value.length, 0);
    const event = encodeMskEvent(sources, {
      eventSourceArn: EVENT_SOURCE_ARN,
      bootstrapServers: 'b-1.treasurystream.example:9098',
    });
    return { event, records: decodeMskEvent(event), meanValueBytes: valueBytes / recordsPerEvent };
  });
}

/** The handler's own work on one event: what processBatch does before it writes. */
export function handlerPath(event: MSKEvent): BatchAggregate {
  return aggregateMskEvent(event);
}
