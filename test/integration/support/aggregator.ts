export type AggregatorModule = typeof import('../../../lambda/aggregator/handler.js');

/**
 * The aggregator handler module, configured for a test database. It reads its settings once at load,
 * as in Lambda, so the environment is set first; each test file has a module registry of its own.
 */
export async function loadAggregator(databaseUrl: string): Promise<AggregatorModule> {
  process.env.DATABASE_URL = databaseUrl;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  return import('../../../lambda/aggregator/handler.js');
}
