import { afterAll, beforeAll, inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-database.js';

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

/** A test file's own database and the aggregator handler configured for it, both ready in tests. */
export interface AggregatorFixture {
  readonly database: TestDatabase;
  readonly aggregator: AggregatorModule;
}

/**
 * Registers the hooks that make a fresh database (migrated) on the shared server and load the handler
 * for it before the file's tests, and close and drop them after. Call it at the top of a test file.
 */
export function useAggregatorOnTestDatabase(poolSize?: number): AggregatorFixture {
  let database: TestDatabase | undefined;
  let aggregator: AggregatorModule | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    aggregator = await loadAggregator(database.url, poolSize);
  });
  afterAll(async () => {
    await aggregator?.closeConnections();
    await database?.drop();
  });
  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined) throw new Error(`${name} is used before the file's beforeAll made it`);
    return value;
  };
  return {
    get database() {
      return ready(database, 'the test database');
    },
    get aggregator() {
      return ready(aggregator, 'the aggregator handler');
    },
  };
}
