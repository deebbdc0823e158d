/**
 * Kafka records as the producer writes them (toMessage of generated deals): the one factory of the
 * benchmark's events and batches, so every section feeds the code the producer's own bytes.
 */
import type { TransactionGenerator } from '../lambda/domain/generator.js';
import type { KafkaRecord } from '../lambda/domain/kafka-record.js';
import { toMessage } from '../lambda/producer/publish.js';

/** A fixed epoch (late 2025), so that every run stamps its records alike. */
export const BENCH_EPOCH_MS = 1_764_000_000_000;

export interface RecordRun {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly count: number;
  /** The i-th record's CreateTime (epoch ms), also the deal's eventTime. */
  readonly timestampOf: (index: number) => number;
}

/** A record with the producer's key and value: neither is ever absent. */
export type ProducerRecord = KafkaRecord & { readonly key: Buffer; readonly value: Buffer };

/** `count` consecutive records of one partition, with the generator's next deals as their values. */
export function producerRecords(generator: TransactionGenerator, run: RecordRun): ProducerRecord[] {
  return Array.from({ length: run.count }, (_, index) => {
    const timestamp = run.timestampOf(index);
    const message = toMessage(generator.next(timestamp));
    return {
      topic: run.topic,
      partition: run.partition,
      offset: run.firstOffset + index,
      timestamp,
      key: Buffer.from(message.key as string),
      value: Buffer.from(message.value as string),
    };
  });
}
