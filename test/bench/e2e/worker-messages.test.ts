import { describe, expect, it } from 'vitest';
import { consumerWorkerEnv, readConsumerWorkerEnv } from '../../../bench/e2e/worker-messages.js';

describe('the workers’ environment', () => {
  it('reads back what the harness wrote for the consumer', () => {
    const env = {
      brokers: ['127.0.0.1:9092'],
      topic: 'transaction',
      databaseUrl: 'postgres://localhost:5432/bench',
    };
    expect(readConsumerWorkerEnv(consumerWorkerEnv(env))).toEqual(env);
  });

  it('names what is missing', () => {
    expect(() => readConsumerWorkerEnv({ KAFKA_BROKERS: 'b', BENCH_TOPIC: 't' })).toThrow(
      /DATABASE_URL is not set/,
    );
  });
});
