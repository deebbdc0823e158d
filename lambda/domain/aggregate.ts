import { decodeDealFast } from './fast-decode.js';
import type { KafkaRecord } from './kafka-record.js';
import { CentsSum } from './money.js';
import { DEFAULT_RULES, type ValidationRules } from './transaction.js';

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
  const ranges = new Map<string, OffsetRange>();
  const deltas = new Map<string, PositionDelta>();
  const rejects: RejectedRecord[] = [];
  let recordCount = 0;
  let skippedCount = 0;
  let firstRecordTime: number | undefined;
  let lastRecordTime: number | undefined;
  const timestamps: number[] = [];

  for (const record of records) {
    const rangeKey = partitionKey(record.topic, record.partition);
    const checkpoint = checkpoints.get(rangeKey);
    if (checkpoint !== undefined && record.offset < checkpoint) {
      skippedCount++;
      continue;
    }
    recordCount++;
    const range = ranges.get(rangeKey);
    if (range === undefined) {
      ranges.set(rangeKey, {
        topic: record.topic,
        partition: record.partition,
        fromOffset: record.offset,
        nextOffset: record.offset + 1,
      });
    } else {
      range.fromOffset = Math.min(range.fromOffset, record.offset);
      range.nextOffset = Math.max(range.nextOffset, record.offset + 1);
    }
    if (firstRecordTime === undefined || record.timestamp < firstRecordTime)
      firstRecordTime = record.timestamp;
    if (lastRecordTime === undefined || record.timestamp > lastRecordTime) lastRecordTime = record.timestamp;
    timestamps.push(record.timestamp);

    // decodeTransaction's decision, reason and amount for every input, faster for the producer's
    // values (lambda/domain/fast-decode.ts; test/domain/fast-decode.test.ts holds them equal).
    const decoded = decodeDealFast(record.value, rules);
    if (!decoded.ok) {
      rejects.push({ ...record, reason: decoded.reason });
      continue;
    }
    const { branch, currency, amountCents } = decoded.value;
    // A separator that cannot occur in a currency code keeps "AB"+"CUSD" apart from "ABC"+"USD".
    const cellKey = `${currency}|${branch}`;
    let delta = deltas.get(cellKey);
    if (delta === undefined) {
      delta = { branch, currency, sum: new CentsSum(), count: 0 };
      deltas.set(cellKey, delta);
    }
    delta.sum.add(amountCents);
    delta.count++;
  }

  return {
    eventSource,
    ranges: [...ranges.values()].sort(compareRanges),
    deltas: [...deltas.values()].sort(compareDeltas),
    rejects,
    recordCount,
    skippedCount,
    firstRecordTime,
    lastRecordTime,
    recordTimeHistogram: histogramOf(timestamps, firstRecordTime),
  };
}

function compareRanges(a: OffsetRange, b: OffsetRange): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

function compareDeltas(a: PositionDelta, b: PositionDelta): number {
  if (a.branch !== b.branch) return a.branch < b.branch ? -1 : 1;
  return a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;
}
