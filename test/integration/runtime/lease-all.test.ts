/**
 * LocalFunction.leaseAll, for an invoker outside the process (the benchmark's Java event poller): every
 * environment the concurrency allows, started at once, each answering at its own URL as the emulator's
 * invoke API answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeFloorFunction } from '../../../bench/runtime/invocation.js';
import { startTestFunction, type TestFunction } from '../support/test-function.js';

const EVENT = {
  eventSource: 'aws:kafka',
  eventSourceArn: 'arn:aws:kafka:local:000000000000:cluster/lease-all/x',
  bootstrapServers: '',
  records: { 'transaction-0': [{}, {}, {}] },
};

describe('LocalFunction.leaseAll', () => {
  let fn: TestFunction;
  let urls: readonly string[];

  beforeAll(async () => {
    fn = await startTestFunction({
      definition: runtimeFloorFunction(),
      localEnvironment: {},
      maxConcurrency: 2,
    });
    urls = await fn.function.leaseAll();
  });

  afterAll(async () => {
    await fn?.stop();
  });

  it('starts every environment the concurrency allows, each at a URL of its own', async () => {
    expect(urls).toHaveLength(2);
    expect(new Set(urls).size).toBe(2);
    expect(fn.function.stats.coldStarts).toBe(2);
    expect(await fn.function.leaseAll()).toEqual([]);
  });

  it('answers a synchronous invocation at each URL with the function result', async () => {
    for (const url of urls) {
      const response = await fetch(url, { method: 'POST', body: JSON.stringify(EVENT) });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ records: 3 });
    }
  });
});
