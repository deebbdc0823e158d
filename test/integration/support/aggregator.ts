export type AggregatorModule = typeof import('../../../lambda/aggregator/handler.js');

/**
 * The aggregator handler, loaded as Lambda loads it: its configuration (the database URL and the pool
 * size) is read once, at import, so the environment is set first. One per test file: vitest gives each
 * file its own module graph.
 */
export async function loadAggregator(databaseUrl: string, poolSize = 8): Promise<AggregatorModule> {
  process.env.DATABASE_URL = databaseUrl;
  process.env.DATABASE_POOL_SIZE = String(poolSize);
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  return import('../../../lambda/aggregator/handler.js');
}
