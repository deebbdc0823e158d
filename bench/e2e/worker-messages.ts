/**
 * The contract between the harness and its child worker (bench/e2e/consumer-worker.ts): what it is
 * told at its start (environment variables, read and written only here) and the structured messages
 * both sides exchange over the IPC channel. Pure.
 */

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

export interface ConsumerWorkerEnv {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly databaseUrl: string;
}

export function consumerWorkerEnv(env: ConsumerWorkerEnv): Record<string, string> {
  return { KAFKA_BROKERS: env.brokers.join(','), BENCH_TOPIC: env.topic, DATABASE_URL: env.databaseUrl };
}

export function readConsumerWorkerEnv(env: NodeJS.ProcessEnv): ConsumerWorkerEnv {
  return {
    brokers: required(env, 'KAFKA_BROKERS').split(','),
    topic: required(env, 'BENCH_TOPIC'),
    databaseUrl: required(env, 'DATABASE_URL'),
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
