import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MSKEvent } from 'aws-lambda';
import type pg from 'pg';
import {
  AGGREGATOR_METRIC,
  DEFAULT_METRICS_NAMESPACE,
  POSITION_RESULT_LOG,
  SERVICE_NAME,
} from '../../contracts/telemetry/metrics.js';
import { createPool, readDatabaseSource } from '../adapters/database.js';
import { PostgresPositionStore } from '../adapters/postgres-position-store.js';
import { type BatchSummary, summarizeBatch } from './batch-summary.js';
import { breachesThatBegan } from './limit-breach.js';
import {
  type GapPolicy,
  gapLogFields,
  missingRecords,
  OFFSET_GAP_LOG,
  type OffsetGap,
  OffsetGapError,
  readGapPolicy,
} from './offset-gap.js';
import type { PositionStore } from './position-store.js';
import { processBatch } from './process-batch.js';

// Configuration is read once per container; a missing setting fails the cold start with its name.
const databaseSource = readDatabaseSource(process.env);
const gapPolicy = readGapPolicy(process.env);
const logger = new Logger({ serviceName: SERVICE_NAME.aggregator });
const metrics = new Metrics({
  namespace: process.env.METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
  serviceName: SERVICE_NAME.aggregator,
});

let pool: Promise<pg.Pool> | undefined;

function connection(): Promise<pg.Pool> {
  pool ??= createPool(databaseSource).catch((error: unknown) => {
    pool = undefined;
    throw error;
  });
  return pool;
}

// 28P01: the password was rotated since this container fetched it. Dropping the pool makes the
// retried batch fetch the secret again.
function forgetCredentialsIfRejected(error: unknown): void {
  if ((error as { code?: string }).code === '28P01' && pool) {
    const stale = pool;
    pool = undefined;
    void stale.then((p) => p.end()).catch(() => undefined);
  }
}

// Emitted on every batch (0 without a gap), so that the alarm on it reads "none" rather than "no data".
function reportGaps(gaps: readonly OffsetGap[], refused: boolean, batchId?: number): void {
  metrics.addMetric(AGGREGATOR_METRIC.offsetGapRecords, MetricUnit.Count, missingRecords(gaps));
  for (const gap of gaps) {
    if (refused) logger.error(OFFSET_GAP_LOG.refused, { ...gapLogFields(gap) });
    else logger.warn(OFFSET_GAP_LOG.accepted, { batchId, ...gapLogFields(gap) });
  }
}

/** Makes the store a batch is written through, from the container's pool and gap policy. */
export type PositionStoreFactory = (pool: pg.Pool, gapPolicy: GapPolicy) => PositionStore;

/**
 * The aggregator's handler over the stores `storeOf` makes. The aggregator is `handler` below, over
 * PostgresPositionStore; the factory exists so that a benchmark can put the same handler (logs,
 * metrics, retries) over a store that wraps it (bench/e2e/result-off-handler.ts) without copying it.
 */
export function aggregatorHandler(storeOf: PositionStoreFactory): (event: MSKEvent) => Promise<BatchSummary> {
  return (event) => handleBatch(event, storeOf);
}

/**
 * The MSK event source mapping's target. Returns when the batch is committed to the database (the
 * mapping then commits the offsets) with a JSON-safe summary; throws when it is not, so that the
 * mapping retries it.
 */
export const handler = aggregatorHandler((pool, policy) => new PostgresPositionStore(pool, policy));

async function handleBatch(event: MSKEvent, storeOf: PositionStoreFactory): Promise<BatchSummary> {
  try {
    const report = await processBatch(event, storeOf(await connection(), gapPolicy));
    reportGaps(report.gaps, false, report.batchId);
    metrics.addMetric(AGGREGATOR_METRIC.received, MetricUnit.Count, report.received);
    metrics.addMetric(AGGREGATOR_METRIC.applied, MetricUnit.Count, report.applied);
    metrics.addMetric(AGGREGATOR_METRIC.rejected, MetricUnit.Count, report.rejected);
    metrics.addMetric(AGGREGATOR_METRIC.skippedAsRedelivered, MetricUnit.Count, report.skipped);
    const began = breachesThatBegan(report.limitBreaches);
    // Emitted as 0 too, so that the alarm on it reads "no breach" rather than "no data".
    metrics.addMetric(AGGREGATOR_METRIC.limitBreachesBegun, MetricUnit.Count, began);
    metrics.addMetric(
      AGGREGATOR_METRIC.limitBreachesCleared,
      MetricUnit.Count,
      report.limitBreaches.length - began,
    );
    // The financial result, in the base currency (float metrics: the exact figures are the database's).
    if (report.realizedInBase !== undefined) {
      metrics.addMetric(
        AGGREGATOR_METRIC.realizedResultInBase,
        MetricUnit.NoUnit,
        Number(report.realizedInBase),
      );
    }
    if (report.bankTotalInBase !== undefined && report.bankTotalInBase !== null) {
      metrics.addMetric(
        AGGREGATOR_METRIC.bankTotalResultInBase,
        MetricUnit.NoUnit,
        Number(report.bankTotalInBase),
      );
    }
    for (const result of report.positionResults) {
      logger.info(POSITION_RESULT_LOG.message, { batchId: report.batchId, ...result });
    }
    if (report.openBreaches !== undefined) {
      metrics.addMetric(AGGREGATOR_METRIC.limitBreachesOpen, MetricUnit.Count, report.openBreaches);
    }
    for (const breach of report.limitBreaches) {
      logger.warn(breach.change === 'began' ? 'limit breach began' : 'limit breach cleared', {
        batchId: report.batchId,
        ...breach,
      });
    }
    logger.info('batch committed', {
      batchId: report.batchId,
      received: report.received,
      applied: report.applied,
      rejected: report.rejected,
      skipped: report.skipped,
      attempts: report.attempts,
    });
    return summarizeBatch(report);
  } catch (error) {
    forgetCredentialsIfRejected(error);
    if (error instanceof OffsetGapError) reportGaps(error.gaps, true);
    metrics.addMetric(AGGREGATOR_METRIC.batchesFailed, MetricUnit.Count, 1);
    logger.error('batch not committed; the event source mapping will retry it', error as Error);
    throw error;
  } finally {
    metrics.publishStoredMetrics();
  }
}

/** Closes the pool: for the local runtime and tests, which outlive their database; Lambda never calls it. */
export async function closeConnections(): Promise<void> {
  const current = pool;
  pool = undefined;
  await current?.then((p) => p.end()).catch(() => undefined);
}
