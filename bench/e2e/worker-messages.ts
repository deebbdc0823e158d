/**
 * The contract between the harness and its child workers (bench/e2e/producer-worker.ts,
 * bench/e2e/consumer-worker.ts): what each is told at its start (environment variables, read and
 * written only here) and the structured messages both sides exchange over the IPC channel. Pure.
 */

export type ProduceCommand = {
  readonly type: 'produce';
  readonly id: number;
  readonly records: number;
  /** Undefined: as fast as the producer goes. */
  readonly ratePerSecond: number | undefined;
};

export type ProducerMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'produced';
      readonly id: number;
      readonly sent: number;
      readonly startedAt: number;
      readonly endedAt: number;
      /** [branch|currency, sum in cents as a decimal string, count]: what the broker acknowledged. */
      readonly totals: [string, string, number][];
    }
  | WorkerError;

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

export interface ProducerWorkerEnv {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Which producer: its generator's seed and id prefix. */
  readonly index: number;
}

export interface ConsumerWorkerEnv {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly databaseUrl: string;
}

export function producerWorkerEnv(env: ProducerWorkerEnv): Record<string, string> {
  return {
    KAFKA_BROKERS: env.brokers.join(','),
    BENCH_TOPIC: env.topic,
    BENCH_PRODUCER_INDEX: String(env.index),
  };
}

export function readProducerWorkerEnv(env: NodeJS.ProcessEnv): ProducerWorkerEnv {
  return {
    brokers: required(env, 'KAFKA_BROKERS').split(','),
    topic: required(env, 'BENCH_TOPIC'),
    index: Number(required(env, 'BENCH_PRODUCER_INDEX')),
  };
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
