import { describe, expect, it } from 'vitest';
import {
  consumerFunction,
  consumerWorkerEnv,
  readConsumerWorkerEnv,
} from '../../../bench/e2e/worker-messages.js';
import { aggregatorFunction } from '../../../contracts/functions.js';

describe('the workers’ environment', () => {
  it('reads back what the harness wrote for the consumer', () => {
    const env = {
      brokers: ['127.0.0.1:9092'],
      topic: 'transaction',
      databaseUrl: 'postgres://localhost:5432/bench',
      result: 'off',
    } as const;
    expect(readConsumerWorkerEnv(consumerWorkerEnv(env))).toEqual(env);
  });

  it('names what is missing', () => {
    expect(() => readConsumerWorkerEnv({ KAFKA_BROKERS: 'b', BENCH_TOPIC: 't', BENCH_RESULT: 'on' })).toThrow(
      /DATABASE_URL is not set/,
    );
  });

  it('refuses a financial result that is neither on nor off', () => {
    expect(() =>
      readConsumerWorkerEnv({ KAFKA_BROKERS: 'b', BENCH_TOPIC: 't', DATABASE_URL: 'd', BENCH_RESULT: 'yes' }),
    ).toThrow(/BENCH_RESULT is yes, not on or off/);
  });

  it('runs, with the result off, the aggregator as it is configured but for its entry point and name', () => {
    const { name, entry, ...rest } = consumerFunction('off');
    const { name: aggregatorName, entry: aggregatorEntry, ...aggregator } = aggregatorFunction();
    expect(rest).toEqual(aggregator);
    expect([name, entry]).toEqual(['aggregator-result-off', 'bench/e2e/result-off-handler.ts']);
    expect([aggregatorName, aggregatorEntry]).not.toEqual([name, entry]);
    expect(consumerFunction('on')).toEqual(aggregatorFunction());
  });
});
