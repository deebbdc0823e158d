/**
 * The contract between the harness and its child worker (bench/e2e/consumer-worker.ts): what it is
 * told at its start (environment variables, read and written only here) and the structured messages
 * both sides exchange over the IPC channel, and the function it runs. Pure.
 */
import { aggregatorFunction, type FunctionDefinition } from '../../contracts/functions.js';

export type ConsumerCommand = { readonly type: 'stop' };

/** What the emulator and the function counted over the consumer's life. */
export interface ConsumerStats {
  readonly invocations: number;
  readonly retries: number;
  readonly rebalances: number;
  readonly coldStarts: number;
  readonly functionErrors: number;
  readonly functionTimeouts: number;
}

export type ConsumerMessage =
  | { readonly type: 'starting'; readonly at: number }
  | {
      readonly type: 'retry';
      readonly partition: number;
      readonly fromOffset: string;
      readonly attempt: number;
      readonly error: string;
    }
  | ({ readonly type: 'stopped' } & ConsumerStats)
  | WorkerError;

/** Whatever stopped a worker: sent before it exits, so the harness fails with the cause. */
export type WorkerError = { readonly type: 'error'; readonly message: string };

/** The aggregator with the financial result (production's), or without it (the baseline of its cost). */
export type FinancialResult = 'on' | 'off';

/**
 * The function the consumer runs with the result off: the aggregator's definition (memory, flags,
 * bundling) with the entry point that leaves each batch's deals out of apply_batch.
 */
export function resultOffFunction(): FunctionDefinition {
  return { ...aggregatorFunction(), name: 'aggregator-result-off', entry: 'bench/e2e/result-off-handler.ts' };
}

/** The function the consumer runs for `result`. */
export function consumerFunction(result: FinancialResult): FunctionDefinition {
  return result === 'on' ? aggregatorFunction() : resultOffFunction();
}

export interface ConsumerWorkerEnv {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly databaseUrl: string;
  readonly result: FinancialResult;
}

export function consumerWorkerEnv(env: ConsumerWorkerEnv): Record<string, string> {
  return {
    KAFKA_BROKERS: env.brokers.join(','),
    BENCH_TOPIC: env.topic,
    DATABASE_URL: env.databaseUrl,
    BENCH_RESULT: env.result,
  };
}

export function readConsumerWorkerEnv(env: NodeJS.ProcessEnv): ConsumerWorkerEnv {
  const result = required(env, 'BENCH_RESULT');
  if (result !== 'on' && result !== 'off') throw new Error(`BENCH_RESULT is ${result}, not on or off`);
  return {
    brokers: required(env, 'KAFKA_BROKERS').split(','),
    topic: required(env, 'BENCH_TOPIC'),
    databaseUrl: required(env, 'DATABASE_URL'),
    result,
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
