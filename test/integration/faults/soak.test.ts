import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SoakResult } from '../../../local/soak/soak-report.js';
import { runScript } from '../../../local/support/child-process.js';
import { uniqueTopic } from '../support/test-database.js';
import { faultSeed } from './support/seeded-random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'soak-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('npm run soak, the short variant CI runs', () => {
  it('ends with exact totals after 40 s of a live stream with consumer kills and a 10 s database outage', async () => {
    // Prepare: the shared broker on a topic of its own; the soak starts its own PostgreSQL to restart it.
    const seed = faultSeed();
    const args = ['--duration', '40', '--rate', '300', '--kill-every', '10', '--db-outage', '10'];
    const more = ['--db-outage-at', '20', '--window', '0.5', '--drain-timeout', '90', '--seed', String(seed)];

    // Act
    const resultFile = join(dir, 'result.json');
    const { code, output } = await runScript(
      'local/soak/cli.ts',
      [...args, ...more, '--quiet', '--result-file', resultFile],
      { env: { KAFKA_BROKERS: inject('kafkaBrokers'), TOPIC: uniqueTopic('soak') }, timeoutMs: 230_000 },
    );

    console.log(output.slice(output.indexOf('soak summary')));

    // Assess
    const result = JSON.parse(await readFile(resultFile, 'utf8')) as SoakResult;
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
