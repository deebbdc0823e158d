/**
 * What a batch becomes before it is written (BatchAggregate) and the one accumulator that builds it,
 * shared by every way in: aggregateBatch, aggregateMskEvent and the parts of a batch being isolated.
 */
import type { DealAmount } from './fast-decode.js';
import type { KafkaRecord } from './kafka-record.js';
import { CentsSum } from './money.js';

/**
 * Sum and count of the valid deals of one branch in one currency within a batch, and the deals
 * themselves in the order they were read (each partition's offset order), for the financial result's
 * fold, which depends on the order (db/migrations/1764000000006; 1764000000010 folds it in integers).
 */
export interface PositionDelta {
  readonly branch: string;
  readonly currency: string;
  readonly sum: CentsSum;
  count: number;
  /** Each deal's amount in cents. */
  readonly amounts: number[];
  /** Each deal's baseAmount (see Transaction), null when it has none. */
  readonly bases: (number | null)[];
  /** Each deal's trade time, epoch ms: its eventTime, or its Kafka timestamp when it has none. */
  readonly tradeTimes: number[];
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

/** One delta per branch × currency, made on first use. */
export class DeltaTable {
  // branch → currency → delta. Keyed by the names themselves: the fast decoder interns them, so a
  // lookup hashes a string whose hash is already cached, where a joined key was a new string a record.
  private readonly cells = new Map<string, Map<string, PositionDelta>>();

  cell(branch: string, currency: string): PositionDelta {
    let byCurrency = this.cells.get(branch);
    if (byCurrency === undefined) {
      byCurrency = new Map();
      this.cells.set(branch, byCurrency);
    }
    let delta = byCurrency.get(currency);
    if (delta === undefined) {
      delta = { branch, currency, sum: new CentsSum(), count: 0, amounts: [], bases: [], tradeTimes: [] };
      byCurrency.set(currency, delta);
    }
    return delta;
  }

  inKeyOrder(): PositionDelta[] {
    const deltas = [...this.cells.values()].flatMap((byCurrency) => [...byCurrency.values()]);
    return deltas.sort(compareDeltas);
  }
}

/**
 * Builds a batch aggregate record by record: offset ranges per partition, sums per branch × currency,
 * rejects, and the record-time histogram. Records below a known checkpoint are counted as skipped.
 * The two ways in (aggregateBatch over decoded records, aggregateMskEvent straight from the event)
 * share it, so they cannot disagree.
 */
export class BatchAccumulator {
  private readonly ranges = new Map<string, OffsetRange>();
  private readonly deltas = new DeltaTable();
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
  private timestamp = 0;

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
    this.timestamp = timestamp;
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

  /** Adds the deal of the record accepted last. */
  addDeal(deal: DealAmount): void {
    const delta = this.deltas.cell(deal.branch, deal.currency);
    delta.sum.add(deal.amountCents);
    delta.count++;
    delta.amounts.push(deal.amountCents);
    delta.bases.push(deal.baseAmount ?? null);
    delta.tradeTimes.push(deal.eventTime ?? this.timestamp);
  }

  addReject(reject: RejectedRecord): void {
    this.rejects.push(reject);
  }

  finish(): BatchAggregate {
    return {
      eventSource: this.eventSource,
      ranges: [...this.ranges.values()].sort(compareRanges),
      deltas: this.deltas.inKeyOrder(),
      rejects: this.rejects,
      recordCount: this.recordCount,
      skippedCount: this.skippedCount,
      firstRecordTime: this.firstRecordTime,
      lastRecordTime: this.lastRecordTime,
      recordTimeHistogram: histogramOf(this.timestamps, this.firstRecordTime),
    };
  }
}

function compareRanges(a: OffsetRange, b: OffsetRange): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function compareDeltas(a: PositionDelta, b: PositionDelta): number {
  if (a.branch !== b.branch) return a.branch < b.branch ? -1 : 1;
  return a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;
}
