import type { KafkaMessage } from 'kafkajs';

/** A record the emulator holds between the fetch and the invocation. */
export interface BufferedRecord {
  readonly message: KafkaMessage;
  readonly offset: number;
  readonly bytes: number;
}

export interface BatchLimits {
  /** Records per invocation (the mapping's BatchSize). */
  readonly batchSize: number;
  /** How long the first buffered record may wait for more (MaximumBatchingWindowInSeconds). */
  readonly windowMs: number;
  /** Payload limit of one invocation: 6 MB, Lambda's synchronous invocation limit. */
  readonly maxBytes: number;
}

// Per record, the MSK event spends about this much on the JSON around key and value (topic,
// partition, offset, timestamp, timestampType, headers and the quotes and commas).
const RECORD_ENVELOPE_BYTES = 160;

/** What a record adds to the invocation payload: key and value are base64 (4 bytes per 3) in the event. */
function eventBytes(message: KafkaMessage): number {
  const base64 = (length: number) => Math.ceil(length / 3) * 4;
  return base64(message.key?.length ?? 0) + base64(message.value?.length ?? 0) + RECORD_ENVELOPE_BYTES;
}

/**
 * The records of one partition waiting to be invoked, in offset order, and the rule that says when
 * they form a batch: batch size reached, 6 MB reached, or the batching window elapsed since the oldest.
 */
export class PartitionLane {
  private records: BufferedRecord[] = [];
  private bufferedBytes = 0;
  private oldestAt: number | undefined;
  /** Offset after the last record accepted; refetched duplicates below it are dropped. */
  private nextOffset: number | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly limits: BatchLimits,
  ) {}

  get size(): number {
    return this.records.length;
  }

  get bytes(): number {
    return this.bufferedBytes;
  }

  push(message: KafkaMessage, now: number): void {
    const offset = Number(message.offset);
    if (this.nextOffset !== undefined && offset < this.nextOffset) return;
    const bytes = eventBytes(message);
    this.records.push({ message, offset, bytes });
    this.bufferedBytes += bytes;
    this.nextOffset = offset + 1;
    this.oldestAt ??= now;
  }

  /** Milliseconds until a batch is due; 0 when due now; undefined when empty. */
  dueIn(now: number): number | undefined {
    if (this.oldestAt === undefined) return undefined;
    if (this.records.length >= this.limits.batchSize || this.bufferedBytes >= this.limits.maxBytes) return 0;
    return Math.max(0, this.oldestAt + this.limits.windowMs - now);
  }

  /** The next batch, left in the lane until `release` (so a failed invocation retries the same records). */
  peekBatch(): BufferedRecord[] {
    const batch: BufferedRecord[] = [];
    let bytes = 0;
    for (const record of this.records) {
      if (batch.length >= this.limits.batchSize) break;
      if (batch.length > 0 && bytes + record.bytes > this.limits.maxBytes) break;
      batch.push(record);
      bytes += record.bytes;
    }
    return batch;
  }

  /** Drops the first `count` records once their batch is committed. */
  release(count: number, now: number): void {
    const released = this.records.splice(0, count);
    for (const record of released) this.bufferedBytes -= record.bytes;
    this.oldestAt = this.records.length > 0 ? now : undefined;
  }

  /** After a rebalance the consumer refetches from the committed offset: start over from there. */
  reset(): void {
    this.records = [];
    this.bufferedBytes = 0;
    this.oldestAt = undefined;
    this.nextOffset = undefined;
  }
}
