import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pathWithout } from '../local/support/path-without.js';
import { oneErrorLine, runCli } from '../local/support/run-cli.js';
import { createTestDatabase, type TestDatabase, uniqueTopic } from './support/test-database.js';

// The first-run cases that need the real broker and database: a wrong password on a server that
// does answer, and a machine that cannot prepare the Lambda runtime (test/local/run/first-run.test.ts
// has those that fail before anything is reached).
let database: TestDatabase;
let emptyCache: string;

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  emptyCache = await mkdtemp(join(tmpdir(), 'fresh-cache-'));
});

afterAll(async () => {
  await database?.drop();
  await rm(emptyCache, { recursive: true, force: true });
});

describe('a DATABASE_URL the server answers but refuses', () => {
  it('a wrong password: one line naming DATABASE_URL, the password hidden, within 10 s', async () => {
    const url = new URL(database.url);
    url.password = 'not-the-password';

    const run = await runCli('local/run/cli.ts', ['--duration', '1', '--no-dashboard'], {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      DATABASE_URL: url.toString(),
    });

    expect(run.code).toBe(1);
    const line = oneErrorLine(run);
    expect(line).toMatch(
      /^error: DATABASE_URL \(postgres:\/\/postgres:\*\*\*@.*\) refused the login: password authentication failed for user "postgres": correct the user and password in DATABASE_URL/,
    );
    expect(line).not.toContain('not-the-password');
    expect(run.ms).toBeLessThan(10_000);
  });

  it('a database that does not exist: one line naming createdb', async () => {
    const url = new URL(database.url);
    url.pathname = '/no_such_database';

    const run = await runCli('local/run/cli.ts', ['--duration', '1', '--no-dashboard'], {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      DATABASE_URL: url.toString(),
    });

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toMatch(
      /^error: DATABASE_URL \(.*\): database "no_such_database" does not exist: create it \(createdb <name>\)/,
    );
  });
});

describe('a machine that cannot prepare the Lambda runtime (no Go, nothing built yet)', () => {
  it('says what is missing in one line, runs the handlers in-process under a banner, and exits 0 on exact totals', async () => {
    // Prepare: Go hidden from PATH and an empty cache, as on a fresh machine without Go.
    const topic = uniqueTopic();

    // Act
    const run = await runCli(
      'local/run/cli.ts',
      ['--duration', '5', '--window', '0.5', '--group', `${topic}-aggregator`, '--no-dashboard'],
      {
        KAFKA_BROKERS: inject('kafkaBrokers'),
        DATABASE_URL: database.url,
        TOPIC: topic,
        PATH: await pathWithout(['go']),
        TREASURY_CACHE_DIR: emptyCache,
      },
      180_000,
    );

    // Assess
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.filter((line) => line.startsWith('the Lambda runtime cannot be prepared here: '))).toEqual([
      'the Lambda runtime cannot be prepared here: go is not on PATH (the Lambda Runtime Interface Emulator is ' +
        'built from source with Go 1.22 or newer, once): install Go (apt-get install golang-go; macOS: brew ' +
        'install go; or go.dev/dl), then run `npm run rie:fetch`',
    ]);
    expect(lines).toContain(
      '*** functions: handlers called IN THIS PROCESS, not under the Lambda runtime, which this machine cannot ' +
        'prepare (see the line above): nothing crosses the Lambda runtime contract ***',
    );
    // A given cluster: the run's check is the database's own (the topic's deals are summed below).
    expect(lines).toContain('check: transaction_flow sums equal currency_position');
    expect(run.stdout).toMatch(/^batch \d+ · partition \d offsets /m);
    // Nothing was fetched or built for the runtime that could not be prepared.
    expect(run.stdout).not.toMatch(/Fetching Node\.js|Building/);
    const applied = await database.pool.query<{ n: string }>(
      'SELECT sum(tx_count)::text AS n FROM currency_position',
    );
    expect(Number(applied.rows[0]?.n)).toBe(500);
  });
});
