import { describe, expect, inject, it } from 'vitest';
import { runScript } from '../../../local/child-process.js';
import { uniqueTopic } from '../support/test-database.js';
import { faultSeed } from './support/seeded-random.js';

interface SoakResult {
  readonly exact: boolean;
  readonly acknowledged: number;
  readonly topicRecords: number;
  readonly duplicateIds: number;
  readonly kills: Record<string, number>;
  readonly outageSeconds: number;
  readonly outageRetries: number;
}

function runSoak(args: readonly string[], env: Record<string, string>, timeoutMs: number) {
  return runScript('local/soak.ts', args, { env, timeoutMs });
}

describe('npm run soak, the short variant CI runs', () => {
  it('ends with exact totals after 40 s of a live stream with consumer kills and a 10 s database outage', async () => {
    // Prepare: the shared broker on a topic of its own; the soak starts its own PostgreSQL to restart it.
    const seed = faultSeed();
    const args = ['--duration', '40', '--rate', '300', '--kill-every', '10', '--db-outage', '10'];
    const more = ['--db-outage-at', '20', '--window', '0.5', '--drain-timeout', '90', '--seed', String(seed)];

    // Act
    const { code, output } = await runSoak(
      [...args, ...more, '--quiet'],
      { KAFKA_BROKERS: inject('kafkaBrokers'), TOPIC: uniqueTopic('soak') },
      230_000,
    );

    console.log(output.slice(output.indexOf('soak summary')));

    // Assess
    const line = /^soak result: (.*)$/m.exec(output)?.[1];
    expect(line, output).toBeDefined();
    const result = JSON.parse(line ?? '{}') as SoakResult;
    expect(code, output).toBe(0);
    expect(result.exact, output).toBe(true);
    expect(result.topicRecords).toBe(result.acknowledged);
    expect(result.duplicateIds).toBe(0);
    expect(
      Object.values(result.kills).reduce((sum, n) => sum + n, 0),
      output,
    ).toBeGreaterThanOrEqual(1);
    expect(result.outageSeconds).toBeGreaterThanOrEqual(10);
    expect(result.outageRetries, output).toBeGreaterThan(0);
  }, 240_000);
});
