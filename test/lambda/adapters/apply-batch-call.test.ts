import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPLY_BATCH_SQL, applyBatchParameters } from '../../../lambda/adapters/postgres-position-store.js';
import { aggregateBatch } from '../../../lambda/domain/aggregate.js';
import { decodeBinaryArray } from './decode-binary-array.js';

const MIGRATIONS = join(import.meta.dirname, '..', '..', '..', 'db', 'migrations');

/** The parameters of apply_batch as the newest migration that creates it declares them, in order. */
function declaredParameters(): string[] {
  const ups = readdirSync(MIGRATIONS)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => readFileSync(join(MIGRATIONS, name), 'utf8').split('-- Down Migration')[0] ?? '')
    .filter((up) => /CREATE (OR REPLACE )?FUNCTION apply_batch\(/.test(up));
  const up = ups.at(-1) ?? '';
  const start = up.search(/CREATE (OR REPLACE )?FUNCTION apply_batch\(/);
  const list = up.slice(up.indexOf('(', start) + 1, up.indexOf(') RETURNS', start));
  return list
    .split(',')
    .map((parameter) => parameter.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

describe("the aggregator's call of apply_batch", () => {
  it('names every parameter the function declares, in its order, one placeholder each', () => {
    const named = [...APPLY_BATCH_SQL.matchAll(/(\w+) => \$(\d+)::/g)];

    expect(named.map((m) => m[1])).toEqual(declaredParameters());
    expect(named.map((m) => Number(m[2]))).toEqual(named.map((_, i) => i + 1));
    expect(declaredParameters().length).toBeGreaterThan(20);
  });

  it('sends as many values as it names', () => {
    const batch = aggregateBatch('arn:aws:kafka:eu-central-1:123456789012:cluster/c/u', []);

    expect(applyBatchParameters(batch)).toHaveLength(declaredParameters().length);
  });

  it("sends each cell's deal count, and its deals' money as exact integers: cents, kopecks signed like the amount", () => {
    const deal = (offset: number, fields: Record<string, unknown>) => ({
      topic: 't',
      partition: 0,
      offset,
      timestamp: 1_764_000_000_000 + offset,
      value: Buffer.from(JSON.stringify({ branch: 'Kazan', currency: 'USD', ...fields })),
    });
    const batch = aggregateBatch('arn:aws:kafka:eu-central-1:123456789012:cluster/c/u', [
      deal(0, { amount: 12.34, baseAmount: 0.29 }),
      deal(1, { amount: -5, baseAmount: 12345678901234.5 }),
      deal(2, { amount: 1e12, baseAmount: 1e16 }),
      deal(3, { amount: 0, baseAmount: 7 }),
      deal(4, { amount: 3 }),
      deal(5, { currency: 'EUR', amount: -0.01, baseAmount: 9999999999999.99 }),
    ]);

    const [deals, cents, kopecks, origin, times] = applyBatchParameters(batch).slice(20, 25);
    const values = (parameter: unknown) => decodeBinaryArray(parameter as Buffer).values;

    expect(values(deals)).toEqual([1n, 5n]);
    expect(values(cents)).toEqual([-1n, 1234n, -500n, 100000000000000n, 0n, 300n]);
    expect(values(kopecks)).toEqual([
      -999999999999999n,
      29n,
      -1234567890123450n,
      1000000000000000000n,
      0n,
      null,
    ]);
    expect(origin).toBe(1_764_000_000_005);
    expect(values(times)).toEqual([0n, -5n, -4n, -3n, -2n, -1n]);
  });
});
