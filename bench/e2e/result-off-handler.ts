/**
 * The aggregator with the financial result off, the end-to-end baseline of its cost (issue 20): the
 * production handler (lambda/aggregator/handler.ts: same decoding, logs, metrics and retries) over
 * its PostgreSQL store, each batch's deal arrays left empty before apply_batch, exactly as the write
 * path's baseline leaves them (bench/result-off-store.ts). Bundled and configured as the aggregator is
 * (resultOffFunction). Still done: collecting each deal per cell in the domain, which the handler does
 * either way; left out: the deal arrays on the wire and the fold in PostgreSQL.
 */
import { PostgresPositionStore } from '../../lambda/adapters/postgres-position-store.js';
import { aggregatorHandler } from '../../lambda/aggregator/handler.js';
import { ResultOffStore } from '../result-off-store.js';

export const handler = aggregatorHandler(
  (pool, gapPolicy) => new ResultOffStore(new PostgresPositionStore(pool, gapPolicy)),
);
