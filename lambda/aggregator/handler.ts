import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MSKEvent } from 'aws-lambda';
import type pg from 'pg';
import { createPool, readDatabaseSource } from '../adapters/database.js';
import { PostgresPositionStore } from '../adapters/postgres-position-store.js';
import { type BatchSummary, summarizeBatch } from './batch-summary.js';
import {
  breachesThatBegan,
  LIMIT_BREACHES_BEGUN_METRIC,
  LIMIT_BREACHES_CLEARED_METRIC,
  LIMIT_BREACHES_OPEN_METRIC,
} from './limit-breach.js';
import { processBatch } from './process-batch.js';

// Configuration is read once per container; a missing setting fails the cold start with its name.
const databaseSource = readDatabaseSource(process.env);
const logger = new Logger({ serviceName: 'aggregator' });
const metrics = new Metrics({
  namespace: process.env.METRICS_NAMESPACE ?? 'TreasuryStream',
  serviceName: 'aggregator',
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

/**
 * The MSK event source mapping's target. Returns when the batch is committed to the database (the
 * mapping then commits the offsets) with a JSON-safe summary; throws when it is not, so that the
 * mapping retries it.
 */
export async function handler(event: MSKEvent): Promise<BatchSummary> {
  try {
    const report = await processBatch(event, new PostgresPositionStore(await connection()));
    metrics.addMetric('RecordsReceived', MetricUnit.Count, report.received);
    metrics.addMetric('RecordsApplied', MetricUnit.Count, report.applied);
    metrics.addMetric('RecordsRejected', MetricUnit.Count, report.rejected);
    metrics.addMetric('RecordsSkippedAsRedelivered', MetricUnit.Count, report.skipped);
    const began = breachesThatBegan(report.limitBreaches);
    // Emitted as 0 too, so that the alarm on it reads "no breach" rather than "no data".
    metrics.addMetric(LIMIT_BREACHES_BEGUN_METRIC, MetricUnit.Count, began);
    metrics.addMetric(LIMIT_BREACHES_CLEARED_METRIC, MetricUnit.Count, report.limitBreaches.length - began);
    if (report.openBreaches !== undefined) {
      metrics.addMetric(LIMIT_BREACHES_OPEN_METRIC, MetricUnit.Count, report.openBreaches);
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
    metrics.addMetric('BatchesFailed', MetricUnit.Count, 1);
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
