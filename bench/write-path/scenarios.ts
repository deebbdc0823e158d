/**
 * The write path's scenarios: batches as the producer's records aggregate, applied through the
 * position store partition by partition, with what the client sent and the server wrote counted.
 */
import type pg from 'pg';
import { DEFAULT_SETTINGS } from '../../contracts/settings.js';
import type { PostgresPositionStore } from '../../lambda/adapters/postgres-position-store.js';
import { processBatch } from '../../lambda/aggregator/process-batch.js';
import { aggregateBatch, type BatchAggregate } from '../../lambda/domain/aggregate.js';
import { DEFAULT_BRANCHES, DEFAULT_CURRENCIES, TransactionGenerator } from '../../lambda/domain/generator.js';
import { encodeMskEvent } from '../../lambda/domain/kafka-record.js';
import { quantile } from '../../local/verify/stats/quantile.js';
import { BENCH_EPOCH_MS, producerRecords } from '../producer-records.js';
import { type Summary, summarize } from '../report/stats.js';
import { difference, type MeteredPool, type PoolCounts } from './metered-pool.js';
import { TABLES, tableCounts } from './server-counts.js';

const EVENT_SOURCE = 'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/bench-write-path';
const TOPIC = DEFAULT_SETTINGS.streaming.topic;
export const RECORDS_PER_BATCH = 1_000;
// Records are stamped over the tutorial's 2 s trigger, so each batch carries a 400-bucket histogram.
export const BATCH_SPAN_MS = DEFAULT_SETTINGS.mapping.aggregatorBatchingWindowSeconds * 1000;
export const CELLS = DEFAULT_BRANCHES.length * DEFAULT_CURRENCIES.length;
// A record the aggregator sets aside (a lower-case currency), for the scenario with rejects.
const REJECTED_VALUE = Buffer.from('{"branch":"Kazan","currency":"usd","amount":1}');

/** Consecutive batches of one partition, each aggregated from generated producer records. */
function batchesOf(partition: number, count: number, rejectEvery = 0): BatchAggregate[] {
  const generator = new TransactionGenerator({ seed: 100 + partition, idPrefix: `bench-p${partition}` });
  return Array.from({ length: count }, (_, b) => {
    const time = BENCH_EPOCH_MS + b * BATCH_SPAN_MS;
    const records = producerRecords(generator, {
      topic: TOPIC,
      partition,
      firstOffset: b * RECORDS_PER_BATCH,
      count: RECORDS_PER_BATCH,
      timestampOf: (i) => time + Math.floor((i * BATCH_SPAN_MS) / RECORDS_PER_BATCH),
    }).map((record) =>
      rejectEvery > 0 && record.offset % rejectEvery === 0 ? { ...record, value: REJECTED_VALUE } : record,
    );
    return aggregateBatch(EVENT_SOURCE, records);
  });
}

interface RunResult {
  readonly batchesPerSecond: number;
  readonly applyMillis: number[];
  readonly counts: PoolCounts;
}

/** Applies the partitions' batches, partitions concurrently and each partition's batches in order. */
async function applyAll(
  store: PostgresPositionStore,
  meter: MeteredPool,
  lanes: readonly BatchAggregate[][],
): Promise<RunResult> {
  const before = meter.read();
  const applyMillis: number[] = [];
  const start = process.hrtime.bigint();
  await Promise.all(
    lanes.map(async (lane) => {
      for (const batch of lane) {
        const batchStart = process.hrtime.bigint();
        const outcome = await store.applyBatch(batch);
        if (outcome.status !== 'applied') throw new Error(`batch not applied: ${JSON.stringify(outcome)}`);
        applyMillis.push(Number(process.hrtime.bigint() - batchStart) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const batches = lanes.reduce((sum, lane) => sum + lane.length, 0);
  return { batchesPerSecond: batches / seconds, applyMillis, counts: difference(meter.read(), before) };
}

export interface Scenario {
  readonly name: string;
  readonly partitions: number;
  readonly rejectEvery: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'steady state, one partition', partitions: 1, rejectEvery: 0 },
  { name: 'three partitions at once', partitions: 3, rejectEvery: 0 },
  { name: 'one partition, 1 % rejected records', partitions: 1, rejectEvery: 100 },
];

export interface ScenarioResult {
  readonly scenario: Scenario;
  readonly batchesPerSecond: Summary;
  readonly applyP50: number;
  readonly applyP99: number;
  readonly batches: number;
  readonly statementsPerBatch: number;
  readonly roundTripsPerBatch: number;
  readonly bytesSentPerBatch: number;
  readonly bytesReceivedPerBatch: number;
  readonly commitsPerBatch: number;
  readonly rowsPerBatch: ReadonlyMap<string, number>;
}

export interface WritePathPlan {
  readonly runs: number;
  readonly batchesPerRun: number;
  readonly warmupBatches: number;
}

export function writePathPlan(quick: boolean): WritePathPlan {
  return quick
    ? { runs: 5, batchesPerRun: 40, warmupBatches: 20 }
    : { runs: 7, batchesPerRun: 300, warmupBatches: 100 };
}

/** The store under test, its metered pool, and an admin connection for the server's counts. */
export interface WritePathTarget {
  readonly store: PostgresPositionStore;
  readonly meter: MeteredPool;
  readonly admin: pg.Client;
}

/** One scenario: warm-up, then `runs` runs of `batchesPerRun` batches per partition, counted. */
export async function runScenario(
  { store, meter, admin }: WritePathTarget,
  scenario: Scenario,
  firstPartition: number,
  { runs, batchesPerRun, warmupBatches }: WritePathPlan,
): Promise<ScenarioResult> {
  const lanes = Array.from({ length: scenario.partitions }, (_, p) =>
    batchesOf(firstPartition + p, warmupBatches + runs * batchesPerRun, scenario.rejectEvery),
  );
  // Warm-up: connections open, plans cached, the first rows of each position inserted.
  await applyAll(
    store,
    meter,
    lanes.map((lane) => lane.slice(0, warmupBatches)),
  );
  const statsBefore = await tableCounts(meter.pool, admin, 3);
  const samples: RunResult[] = [];
  for (let run = 0; run < runs; run++) {
    const from = warmupBatches + run * batchesPerRun;
    samples.push(
      await applyAll(
        store,
        meter,
        lanes.map((lane) => lane.slice(from, from + batchesPerRun)),
      ),
    );
  }
  const statsAfter = await tableCounts(meter.pool, admin, 3);
  const batches = runs * batchesPerRun * scenario.partitions;
  const total = samples.reduce(
    (sum, s) => ({
      statements: sum.statements + s.counts.statements,
      roundTrips: sum.roundTrips + s.counts.roundTrips,
      bytesSent: sum.bytesSent + s.counts.bytesSent,
      bytesReceived: sum.bytesReceived + s.counts.bytesReceived,
    }),
    { statements: 0, roundTrips: 0, bytesSent: 0, bytesReceived: 0 },
  );
  const latencies = samples.flatMap((s) => s.applyMillis).sort((a, b) => a - b);
  // The forced flush of the pooled connections and of the admin connection commit too.
  const flushCommits = 3 + 3;
  return {
    scenario,
    batches,
    batchesPerSecond: summarize(samples.map((s) => s.batchesPerSecond)),
    applyP50: quantile(latencies, 0.5),
    applyP99: quantile(latencies, 0.99),
    statementsPerBatch: total.statements / batches,
    roundTripsPerBatch: total.roundTrips / batches,
    bytesSentPerBatch: total.bytesSent / batches,
    bytesReceivedPerBatch: total.bytesReceived / batches,
    commitsPerBatch: (statsAfter.commits - statsBefore.commits - flushCommits) / batches,
    rowsPerBatch: new Map(
      TABLES.map((table) => [
        table,
        ((statsAfter.rows.get(table) ?? 0) - (statsBefore.rows.get(table) ?? 0)) / batches,
      ]),
    ),
  };
}

/** A redelivery that overlaps applied offsets, through processBatch as the handler runs it. */
export async function measureRedelivery(
  meter: MeteredPool,
  store: PostgresPositionStore,
): Promise<{ attempts: number; roundTrips: number }> {
  const generator = new TransactionGenerator({ seed: 9, idPrefix: 'bench-redelivery' });
  const records = producerRecords(generator, {
    topic: TOPIC,
    partition: 99,
    firstOffset: 0,
    count: 200,
    timestampOf: (offset) => BENCH_EPOCH_MS + offset,
  });
  const source = { eventSourceArn: EVENT_SOURCE, bootstrapServers: 'localhost:9092' };
  await processBatch(encodeMskEvent(records.slice(0, 120), source), store);
  const before = meter.read();
  const report = await processBatch(encodeMskEvent(records.slice(80), source), store);
  return { attempts: report.attempts, roundTrips: meter.read().roundTrips - before.roundTrips };
}
