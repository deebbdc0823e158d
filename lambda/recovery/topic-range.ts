import type { Kafka } from 'kafkajs';
import { kafkaRecordSource } from '../adapters/kafka-message.js';
import type { KafkaRecordSource } from '../domain/kafka-record.js';

/** Offsets [from, to) of one partition. */
export interface OffsetRangeRequest {
  readonly partition: number;
  readonly from: number;
  readonly to: number;
}

export interface ReadRangesOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** A group of the reader's own: it joins it to be assigned the partitions, and never commits. */
  readonly groupId: string;
  readonly ranges: readonly OffsetRangeRequest[];
  /** Records handed to onChunk at most at a time. */
  readonly chunkSize: number;
  /** Called with consecutive records of one partition, in offset order; awaited before the next. */
  readonly onChunk: (partition: number, records: readonly KafkaRecordSource[]) => Promise<void>;
  /** Fails when no record arrives for this long while ranges are unfinished. @default 60 s */
  readonly idleTimeoutMs?: number;
}

/**
 * Reads exactly the given offset ranges of a topic, each partition in offset order, and hands them on
 * in chunks; resolves once every range is read and handed on, rejects with the first error of
 * onChunk (after which nothing more is handed on). One partition at a time (kafkajs' default), so a
 * chunk is applied before the next is read.
 */
export async function readRanges(options: ReadRangesOptions): Promise<void> {
  const wanted = options.ranges.filter((range) => range.to > range.from);
  if (wanted.length === 0) return;
  const next = new Map(wanted.map((range) => [range.partition, range.from]));
  const ends = new Map(wanted.map((range) => [range.partition, range.to]));
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: 8 * 1024 * 1024,
  });
  let failure: unknown;
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  const idleMs = options.idleTimeoutMs ?? 60_000;
  let idle: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      const left = [...next].map(([p, from]) => `${p}: ${from}..${(ends.get(p) ?? from) - 1}`).join(', ');
      finish(new Error(`no record arrived for ${idleMs / 1000} s; offsets still to read: ${left}`));
    }, idleMs);
  };

  await consumer.connect();
  try {
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    touch();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const from = next.get(batch.partition);
        const end = ends.get(batch.partition);
        if (from === undefined || end === undefined || failure !== undefined) {
          // A partition with nothing to read (or read already): fetch no more of it.
          consumer.pause([{ topic: options.topic, partitions: [batch.partition] }]);
          return;
        }
        let chunk: KafkaRecordSource[] = [];
        let position = from;
        const flush = async () => {
          if (chunk.length === 0) return;
          const records = chunk;
          chunk = [];
          await options.onChunk(batch.partition, records);
          touch();
          await heartbeat();
        };
        try {
          for (const message of batch.messages) {
            const offset = Number(message.offset);
            // A fetch started before the seek below took effect: its records are not ours.
            if (offset < position) continue;
            if (offset >= end) break;
            chunk.push(kafkaRecordSource(options.topic, batch.partition, message));
            position = offset + 1;
            if (chunk.length >= options.chunkSize) await flush();
          }
          await flush();
        } catch (error) {
          failure = error;
          finish(error);
          return;
        }
        next.set(batch.partition, position);
        if (position >= end) {
          next.delete(batch.partition);
          consumer.pause([{ topic: options.topic, partitions: [batch.partition] }]);
          if (next.size === 0) finish();
        }
      },
    });
    for (const range of wanted) {
      consumer.seek({ topic: options.topic, partition: range.partition, offset: String(range.from) });
    }
    await finished;
  } finally {
    clearTimeout(idle);
    await consumer.disconnect();
  }
}
