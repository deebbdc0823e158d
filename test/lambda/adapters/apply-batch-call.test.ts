import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APPLY_BATCH_SQL, applyBatchParameters } from '../../../lambda/adapters/postgres-position-store.js';
import { aggregateBatch } from '../../../lambda/domain/aggregate.js';

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
});
