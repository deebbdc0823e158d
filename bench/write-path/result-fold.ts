/**
 * The financial result's cost on the write path (issue 20): apply_batch folds every deal of a batch in
 * PL/pgSQL (db/migrations/1764000000010), so unlike the rest of the write it grows with the deals per
 * batch. Measured at 100, 1,000 and 10,000 deals per batch, each batch applied with the fold and, as
 * the baseline, the same batch with its deal arrays left empty: apply_batch then folds nothing and
 * writes what it wrote before issue 20 (positions, flows, checkpoints, limits). Same cells, same
 * records, alternated batch by batch so that both see the same server state and noise.
 */
import { DEFAULT_SETTINGS } from '../../contracts/settings.js';
import type { PostgresPositionStore } from '../../lambda/adapters/postgres-position-store.js';
import { aggregateBatch } from '../../lambda/domain/aggregate.js';
import type { BatchAggregate } from '../../lambda/domain/batch-aggregate.js';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { quantile } from '../../local/verify/stats/quantile.js';
import { BENCH_EPOCH_MS, producerRecords } from '../producer-records.js';
import { withoutDeals } from '../result-off-store.js';
import type { MeteredPool } from './metered-pool.js';

const EVENT_SOURCE = 'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/bench-result-fold';
export const DEALS_PER_BATCH = [100, 1_000, 10_000] as const;

export interface FoldCost {
  readonly deals: number;
  readonly batches: number;
  /** apply_batch's time per batch as the client sees it (local socket: the database's time and the wire). */
  readonly withFoldP50: number;
  readonly withoutFoldP50: number;
  readonly withFoldP99: number;
  readonly withoutFoldP99: number;
  readonly roundTripsPerBatch: number;
  readonly bytesSentPerBatch: number;
}

/** Consecutive batches of `deals` producer records, on a partition of their own. */
function batchesOf(partition: number, deals: number, count: number): BatchAggregate[] {
  const generator = new TransactionGenerator({ seed: 700 + partition, idPrefix: `fold-p${partition}` });
  return Array.from({ length: count }, (_, b) =>
    aggregateBatch(
      EVENT_SOURCE,
      producerRecords(generator, {
        topic: DEFAULT_SETTINGS.streaming.topic,
        partition,
        firstOffset: b * deals,
        count: deals,
        timestampOf: (i) => BENCH_EPOCH_MS + b * 2_000 + Math.floor((i * 2_000) / deals),
      }),
    ),
  );
}

async function timed(store: PostgresPositionStore, batch: BatchAggregate): Promise<number> {
  const start = process.hrtime.bigint();
  const outcome = await store.applyBatch(batch);
  if (outcome.status !== 'applied') throw new Error(`batch not applied: ${JSON.stringify(outcome)}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** With and without the fold, `batches` batches each (after a few of warm-up) per size. */
export async function measureFoldCost(
  store: PostgresPositionStore,
  meter: MeteredPool,
  batches: number,
  firstPartition: number,
): Promise<FoldCost[]> {
  const costs: FoldCost[] = [];
  for (const [index, deals] of DEALS_PER_BATCH.entries()) {
    // Two partitions, so that each path keeps its own checkpoint and its positions their own order.
    const warmup = 3;
    const folded = batchesOf(firstPartition + 2 * index, deals, warmup + batches);
    const plain = batchesOf(firstPartition + 2 * index + 1, deals, warmup + batches).map(withoutDeals);
    const withFold: number[] = [];
    const withoutFold: number[] = [];
    let roundTrips = 0;
    let bytesSent = 0;
    for (let b = 0; b < warmup + batches; b++) {
      const before = meter.read();
      const foldMs = await timed(store, folded[b] as BatchAggregate);
      const after = meter.read();
      const plainMs = await timed(store, plain[b] as BatchAggregate);
      if (b < warmup) continue;
      withFold.push(foldMs);
      withoutFold.push(plainMs);
      roundTrips += after.roundTrips - before.roundTrips;
      bytesSent += after.bytesSent - before.bytesSent;
    }
    withFold.sort((a, b) => a - b);
    withoutFold.sort((a, b) => a - b);
    costs.push({
      deals,
      batches,
      withFoldP50: quantile(withFold, 0.5),
      withoutFoldP50: quantile(withoutFold, 0.5),
      withFoldP99: quantile(withFold, 0.99),
      withoutFoldP99: quantile(withoutFold, 0.99),
      roundTripsPerBatch: roundTrips / batches,
      bytesSentPerBatch: bytesSent / batches,
    });
  }
  return costs;
}
