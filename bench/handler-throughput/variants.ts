/**
 * The variants the handler benchmark times (the handler's path, its parts, the naive baseline), how
 * one is timed in records per CPU and wall second, and the check that the handler sums as the
 * baseline does.
 */
import { aggregateBatch } from '../../lambda/domain/aggregate.js';
import { decodeDealFast, decodeTransactionFast } from '../../lambda/domain/fast-decode.js';
import { decodeMskEvent } from '../../lambda/domain/kafka-record.js';
import { decodeTransaction } from '../../lambda/domain/transaction.js';
import { totalsKey } from '../../lambda/producer/publish.js';
import { naiveAggregate } from '../reference/naive-aggregate.js';
import { type BenchEvent, EVENT_SOURCE_ARN, handlerPath, RECORDS_PER_EVENT } from './producer-events.js';

export interface Variant {
  readonly name: string;
  readonly what: string;
  /** Does the work on one event; returns something derived from it so that nothing is optimized away. */
  readonly run: (subject: BenchEvent) => number;
}

// Each decoder variant has a loop of its own, though the three read alike: one shared loop taking the
// decoder as a parameter would make its call site polymorphic and time that instead of the decoders.
export const VARIANTS: readonly Variant[] = [
  {
    name: 'naive baseline',
    what: 'Buffer.from(value, base64) + JSON.parse + Map of float sums: no validation, no offsets, inexact',
    run: (subject) => naiveAggregate(subject.event).size,
  },
  {
    name: 'handler (aggregateMskEvent, as processBatch runs it)',
    what: "the handler's path as processBatch runs it, fast decoder included: the figure the target is about",
    run: (subject) => handlerPath(subject.event).deltas.length,
  },
  {
    name: 'decodeMskEvent alone',
    what: 'flattening the event: base64 of key and value into Buffers, offsets and timestamps to numbers',
    run: (subject) => decodeMskEvent(subject.event).length,
  },
  {
    name: 'aggregateBatch alone',
    what: 'validation, sums, offset ranges and time histogram of records already decoded from the event',
    run: (subject) => aggregateBatch(EVENT_SOURCE_ARN, subject.records).recordCount,
  },
  {
    name: 'decodeTransaction (plain) alone',
    what: 'UTF-8 decoding + JSON.parse + validateTransaction of each value',
    run: (subject) => {
      let ok = 0;
      for (const record of subject.records) if (decodeTransaction(record.value).ok) ok++;
      return ok;
    },
  },
  {
    name: 'decodeTransactionFast alone',
    what: 'the canonical-shape byte scan (lambda/domain/fast-decode.ts) of each value, id string built',
    run: (subject) => {
      let ok = 0;
      for (const record of subject.records) if (decodeTransactionFast(record.value).ok) ok++;
      return ok;
    },
  },
  {
    name: 'decodeDealFast alone',
    what: 'the same scan without building the id string: what aggregateBatch calls',
    run: (subject) => {
      let ok = 0;
      for (const record of subject.records) if (decodeDealFast(record.value).ok) ok++;
      return ok;
    },
  },
];

export interface Sample {
  readonly wallRecordsPerSecond: number;
  readonly cpuRecordsPerSecond: number;
}

// What the variants return is summed here, so that no run is optimized away.
let sink = 0;

/** Keeps the results alive: a caller that reads it makes the work observable. */
export function sinkValue(): number {
  return sink;
}

/** Runs `variant` over the events `passes` times; records per wall second and per CPU second. */
export function measure(variant: Variant, events: readonly BenchEvent[], passes: number): Sample {
  const cpuBefore = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let pass = 0; pass < passes; pass++) {
    for (const subject of events) sink += variant.run(subject);
  }
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const records = passes * events.length * RECORDS_PER_EVENT;
  return { wallRecordsPerSecond: records / wallSeconds, cpuRecordsPerSecond: records / cpuSeconds };
}

/** Passes over the events that take about `seconds`, after warming the variant up for that long. */
export function calibrate(variant: Variant, events: readonly BenchEvent[], seconds: number): number {
  const start = process.hrtime.bigint();
  let passes = 0;
  while (Number(process.hrtime.bigint() - start) / 1e9 < seconds) {
    for (const subject of events) sink += variant.run(subject);
    passes++;
  }
  const perPass = Number(process.hrtime.bigint() - start) / 1e9 / passes;
  return Math.max(1, Math.round(seconds / perPass));
}

/**
 * BENCH_SIMULATE_WRONG_SUM=1 moves one naive sum by a cent, so that a test can see a wrong sum fail the
 * benchmark's process (exit code 1) as it would for real (test/bench/exit-code.test.ts).
 */
const SIMULATED_ERROR_CENTS = process.env.BENCH_SIMULATE_WRONG_SUM === '1' ? 0.01 : 0;

/** The handler's sums must equal the naive ones (cents against floats of whole units): else the run is void. */
export function checkAgreement(events: readonly BenchEvent[]): string[] {
  const failures: string[] = [];
  for (const subject of events) {
    const batch = handlerPath(subject.event);
    const naive = naiveAggregate(subject.event);
    const [firstKey] = naive.keys();
    if (SIMULATED_ERROR_CENTS !== 0 && firstKey !== undefined)
      naive.set(firstKey, (naive.get(firstKey) ?? 0) + SIMULATED_ERROR_CENTS);
    const handlerSums = new Map(batch.deltas.map((d) => [totalsKey(d.branch, d.currency), d.sum.toBigInt()]));
    for (const [key, sum] of naive) {
      if (handlerSums.get(key) !== BigInt(Math.round(sum * 100))) {
        failures.push(
          `handler and naive sums differ for ${key}: ${handlerSums.get(key)} vs ${sum * 100} cents`,
        );
      }
    }
    if (batch.rejects.length > 0 || handlerSums.size !== naive.size) {
      failures.push(`handler rejected ${batch.rejects.length} producer records or lost a cell`);
    }
  }
  return failures;
}
