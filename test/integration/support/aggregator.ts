import type { MSKEvent } from 'aws-lambda';
import { afterAll, beforeAll, inject } from 'vitest';
import { aggregatorFunction, type FunctionDefinition } from '../../../contracts/functions.js';
import type { BatchSummary } from '../../../lambda/aggregator/batch-summary.js';
import type { FunctionOutputLine } from '../../../local/lambda-runtime/function-output.js';
import type { LocalFunction } from '../../../local/lambda-runtime/local-function.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { startTestFunction } from './test-function.js';

/** The aggregator as the tests drive it: invoked as the event source mapping invokes it. */
export interface AggregatorUnderTest {
  handler(event: MSKEvent): Promise<BatchSummary>;
  /** Everything its execution environments printed: JSON logs, EMF metrics, platform lines. */
  readonly output: readonly FunctionOutputLine[];
  readonly function: LocalFunction;
  closeConnections(): Promise<void>;
}

export interface AggregatorOptions {
  /** Concurrent invocations at most (execution environments). @default 1 */
  readonly concurrency?: number;
  /** Changes to the definition, e.g. a shorter timeout. @default none */
  readonly definition?: Partial<FunctionDefinition>;
}

/**
 * The aggregator as Lambda runs it: the bundle CDK ships, under the Runtime Interface Emulator with
 * aws-lambda-ric, configured for this database. Its result crosses JSON and its errors come back as
 * errorType documents (thrown as FunctionError), as in AWS.
 */
export async function loadAggregator(
  databaseUrl: string,
  options: AggregatorOptions = {},
): Promise<AggregatorUnderTest> {
  const fn = await startTestFunction({
    definition: { ...aggregatorFunction(), ...options.definition },
    localEnvironment: { DATABASE_URL: databaseUrl },
    maxConcurrency: options.concurrency ?? 1,
  });
  return {
    handler: async (event) => (await fn.invoke(event)) as BatchSummary,
    output: fn.output,
    function: fn.function,
    closeConnections: () => fn.stop(),
  };
}

/** A test file's own database and the aggregator configured for it, both ready in tests. */
export interface AggregatorFixture {
  readonly database: TestDatabase;
  readonly aggregator: AggregatorUnderTest;
}

/**
 * Registers the hooks that make a fresh database (migrated) on the shared server and start the
 * aggregator for it before the file's tests, and stop and drop them after. Call it at the top of a
 * test file.
 */
export function useAggregatorOnTestDatabase(options?: AggregatorOptions): AggregatorFixture {
  let database: TestDatabase | undefined;
  let aggregator: AggregatorUnderTest | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'));
    aggregator = await loadAggregator(database.url, options);
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
      return ready(aggregator, 'the aggregator');
    },
  };
}
