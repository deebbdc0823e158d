import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Totals } from './totals.js';

/** What a topic holds, read back from its first offset to its end. */
export interface TopicContents {
  /** Sum (cents) and count per "branch|currency" of the deals in the topic. */
  readonly truth: Totals;
  /** End offset (high watermark) per partition when the read began. */
  readonly ends: ReadonlyMap<number, number>;
  readonly records: number;
  /** Records that are not deals (not JSON, or no string branch/currency and decimal amount). */
  readonly notDeals: number;
  /** Ids found more than once: a deal written twice (the idempotent producer must prevent it). */
  readonly duplicateIds: readonly string[];
}

/**
 * The amount in cents, parsed from its JSON text here rather than by the aggregator's money code, so
 * that the ground truth is an independent count.
 */
function centsOf(amount: unknown): bigint | undefined {
  if (typeof amount !== 'number') return undefined;
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(amount));
  if (!match) return undefined;
  const [, sign, whole = '0', fraction = ''] = match;
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  return sign === '-' ? -cents : cents;
}

/**
 * Hands every record of the topic, up to the end offsets found first, to `onRecord` in offset order
 * per partition, read with a consumer group of its own; resolves to those end offsets.
 */
export async function readWholeTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (partition: number, offset: number, value: Buffer | null) => void,
): Promise<ReadonlyMap<number, number>> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)] as const));
  } finally {
    await admin.disconnect();
  }
  const remaining = new Map([...ends].filter(([, end]) => end > 0));
  if (remaining.size === 0) return ends;

  const consumer = kafka.consumer({
    groupId: `topic-truth-${randomBytes(6).toString('hex')}`,
    maxBytesPerPartition: 16 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const end = remaining.get(batch.partition);
            if (end === undefined) return;
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (offset >= end) break;
              onRecord(batch.partition, offset, message.value);
              if (offset + 1 >= end) remaining.delete(batch.partition);
            }
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return ends;
}

/**
 * Reads every record of the topic (up to the end offsets it finds first) and sums the deals: the
 * ground truth the soak and the fault tests compare the database with.
 */
export async function readTopicContents(kafka: Kafka, topic: string): Promise<TopicContents> {
  const truth: Totals = new Map();
  const seen = new Set<string>();
  const duplicateIds: string[] = [];
  let records = 0;
  let notDeals = 0;
  const ends = await readWholeTopic(kafka, topic, (_partition, _offset, value) => {
    records++;
    let deal: { id?: unknown; branch?: unknown; currency?: unknown; amount?: unknown } | null;
    try {
      deal = JSON.parse(value?.toString('utf8') ?? 'null');
    } catch {
      deal = null;
    }
    const cents = centsOf(deal?.amount);
    if (typeof deal?.branch !== 'string' || typeof deal.currency !== 'string' || cents === undefined) {
      notDeals++;
      return;
    }
    const key = `${deal.branch}|${deal.currency}`;
    const cell = truth.get(key) ?? { sum: 0n, count: 0 };
    cell.sum += cents;
    cell.count++;
    truth.set(key, cell);
    if (typeof deal.id === 'string') {
      if (seen.has(deal.id)) duplicateIds.push(deal.id);
      seen.add(deal.id);
    }
  });
  return { truth, ends, records, notDeals, duplicateIds };
}
