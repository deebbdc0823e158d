import type { MSKEvent } from 'aws-lambda';
import { decodeDealFast, scanDeal } from './fast-decode.js';
import type { KafkaRecord } from './kafka-record.js';
import { CentsSum } from './money.js';
import { DEFAULT_RULES, decodeTransaction, type ValidationRules } from './transaction.js';

/** Sum and count of the valid deals of one branch in one currency within a batch. */
export interface PositionDelta {
  readonly branch: string;
  readonly currency: string;
  readonly sum: CentsSum;
  count: number;
}

/** A record that is not a valid transaction: where it was, what it held and why it was set aside. */
export interface RejectedRecord extends KafkaRecord {
  readonly reason: string;
}

/** The offsets of one topic-partition a batch applies: [fromOffset, nextOffset). */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  fromOffset: number;
  nextOffset: number;
}

export interface BatchAggregate {
  /** The cluster the records came from (the MSK event's eventSourceArn). */
  readonly eventSource: string;
  /** One range per topic-partition that has records left to apply. */
  readonly ranges: OffsetRange[];
  /** One delta per branch × currency, in key order. */
  readonly deltas: PositionDelta[];
  readonly rejects: RejectedRecord[];
  /** Records applied or rejected by this aggregate (those skipped as already applied are not counted). */
  readonly recordCount: number;
  /** Records left out because their offsets are below a known checkpoint. */
  readonly skippedCount: number;
  /** Kafka timestamps of the oldest and newest record counted; undefined when none. */
  readonly firstRecordTime: number | undefined;
  readonly lastRecordTime: number | undefined;
  /** Records per HISTOGRAM_BUCKET_MS of Kafka timestamp, from firstRecordTime on (see applied_batch). */
  readonly recordTimeHistogram: number[];
}

/** Width of a record-time histogram bucket. */
export const HISTOGRAM_BUCKET_MS = 5;
// A batch spanning more than this (a catch-up after an outage) puts its later records in the last bucket.
const MAX_HISTOGRAM_BUCKETS = 2_000;

function histogramOf(timestamps: readonly number[], first: number | undefined): number[] {
  if (first === undefined) return [];
  const histogram: number[] = [];
  for (const timestamp of timestamps) {
    const bucket = Math.min(Math.floor((timestamp - first) / HISTOGRAM_BUCKET_MS), MAX_HISTOGRAM_BUCKETS - 1);
    while (histogram.length <= bucket) histogram.push(0);
    histogram[bucket] = (histogram[bucket] ?? 0) + 1;
  }
  return histogram;
}

/** Topic-partition key as the MSK event uses it. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Builds a batch aggregate record by record: offset ranges per partition, sums per branch × currency,
 * rejects, and the record-time histogram. Records below a known checkpoint are counted as skipped.
 * The two ways in (aggregateBatch over decoded records, aggregateMskEvent straight from the event)
 * share it, so they cannot disagree.
 */
class BatchAccumulator {
  private readonly ranges = new Map<string, OffsetRange>();
  // branch → currency → delta. Keyed by the names themselves: the fast decoder interns them, so a
  // lookup hashes a string whose hash is already cached, where a joined key was a new string a record.
  private readonly cells = new Map<string, Map<string, PositionDelta>>();
  private readonly rejects: RejectedRecord[] = [];
  private readonly timestamps: number[] = [];
  private recordCount = 0;
  private skippedCount = 0;
  private firstRecordTime: number | undefined;
  private lastRecordTime: number | undefined;
  private topic = '';
  private partition = -1;
  private checkpoint: number | undefined;
  private range: OffsetRange | undefined;

  constructor(
    private readonly eventSource: string,
    private readonly checkpoints: ReadonlyMap<string, number>,
  ) {}

  /** Points the accumulator at a partition, looking its checkpoint up once for all its records. */
  enterPartition(topic: string, partition: number): void {
    if (topic === this.topic && partition === this.partition) return;
    this.topic = topic;
    this.partition = partition;
    const key = partitionKey(topic, partition);
    this.checkpoint = this.checkpoints.get(key);
    this.range = this.ranges.get(key);
  }

  /** Counts the record in, or returns false when an earlier delivery applied its offset. */
  accept(offset: number, timestamp: number): boolean {
    if (this.checkpoint !== undefined && offset < this.checkpoint) {
      this.skippedCount++;
      return false;
    }
    this.recordCount++;
    const range = this.range;
    if (range === undefined) {
      this.range = {
        topic: this.topic,
        partition: this.partition,
        fromOffset: offset,
        nextOffset: offset + 1,
      };
      this.ranges.set(partitionKey(this.topic, this.partition), this.range);
    } else {
      if (offset < range.fromOffset) range.fromOffset = offset;
      if (offset >= range.nextOffset) range.nextOffset = offset + 1;
    }
    if (this.firstRecordTime === undefined || timestamp < this.firstRecordTime)
      this.firstRecordTime = timestamp;
    if (this.lastRecordTime === undefined || timestamp > this.lastRecordTime) this.lastRecordTime = timestamp;
    this.timestamps.push(timestamp);
    return true;
  }

  addDeal(branch: string, currency: string, amountCents: number): void {
    let byCurrency = this.cells.get(branch);
    if (byCurrency === undefined) {
      byCurrency = new Map();
      this.cells.set(branch, byCurrency);
    }
    let delta = byCurrency.get(currency);
    if (delta === undefined) {
      delta = { branch, currency, sum: new CentsSum(), count: 0 };
      byCurrency.set(currency, delta);
    }
    delta.sum.add(amountCents);
    delta.count++;
  }

  addReject(reject: RejectedRecord): void {
    this.rejects.push(reject);
  }

  finish(): BatchAggregate {
    const deltas = [...this.cells.values()].flatMap((byCurrency) => [...byCurrency.values()]);
    return {
      eventSource: this.eventSource,
      ranges: [...this.ranges.values()].sort(compareRanges),
      deltas: deltas.sort(compareDeltas),
      rejects: this.rejects,
      recordCount: this.recordCount,
      skippedCount: this.skippedCount,
      firstRecordTime: this.firstRecordTime,
      lastRecordTime: this.lastRecordTime,
      recordTimeHistogram: histogramOf(this.timestamps, this.firstRecordTime),
    };
  }
}

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
    // values (lambda/domain/fast-decode.ts; test/domain/fast-decode.test.ts holds them equal).
    const decoded = decodeDealFast(record.value, rules);
    if (decoded.ok) batch.addDeal(decoded.value.branch, decoded.value.currency, decoded.value.amountCents);
    else batch.addReject({ ...record, reason: decoded.reason });
  }
  return batch.finish();
}

// Values are decoded into this buffer one after the other: the producer's records never need a
// Buffer of their own. Measured (bench/handler.ts): Buffer.from(value, 'base64') per record was the
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
          batch.addDeal(deal.branch, deal.currency, deal.amountCents);
          continue;
        }
      }
      const value = optionalBase64(base64);
      const decoded = decodeTransaction(value, rules);
      if (decoded.ok) {
        batch.addDeal(decoded.value.branch, decoded.value.currency, decoded.value.amountCents);
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

function compareRanges(a: OffsetRange, b: OffsetRange): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function compareDeltas(a: PositionDelta, b: PositionDelta): number {
  if (a.branch !== b.branch) return a.branch < b.branch ? -1 : 1;
  return a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;
}
