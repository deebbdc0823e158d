import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APPLY_BATCH_SQL, applyBatchParameters } from '../../lambda/adapters/postgres-position-store.js';
import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import { aggregateBatch } from '../../lambda/domain/aggregate.js';
import { encodeMskEvent } from '../../lambda/domain/kafka-record.js';
import { freePort } from '../../local/infra/net/free-port.js';
import { runScript } from '../../local/support/child-process.js';
import { readPositions } from '../../local/verify/totals.js';
import { findCredentialsInLog } from '../security/credentials.js';
import { type AggregatorUnderTest, loadAggregator } from './faults/support/in-process.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const AGGREGATOR = 'treasury_aggregator';
const READER = 'treasury_reader';
const PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] as const;

let database: TestDatabase;
/** Logins made for this test that act as the roles (the CDK custom resource gives the roles LOGIN). */
const logins: string[] = [];

/** A role that logs in with a random password and inherits `role`'s privileges and nothing else. */
async function loginAs(role: string | undefined): Promise<{ url: string; name: string }> {
  const name = `test_login_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(18).toString('base64url');
  await database.pool.query(
    `CREATE ROLE ${name} LOGIN PASSWORD '${password}'${role ? ` IN ROLE ${pg.escapeIdentifier(role)}` : ''}`,
  );
  logins.push(name);
  const url = new URL(database.url);
  url.username = name;
  url.password = password;
  return { url: url.toString(), name };
}

/** Runs one statement as `url`'s user; resolves to the SQLSTATE it failed with, or 'ok'. */
async function outcome(url: string, sql: string, values: unknown[] = []): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(sql, values);
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function relations(): Promise<string[]> {
  const result = await database.pool.query<{ name: string }>(
    `SELECT format('%I', c.relname) AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p') ORDER BY 1`,
  );
  return result.rows.map((row) => row.name);
}

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
});

afterAll(async () => {
  await database?.drop();
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  for (const name of logins) await admin.query(`DROP ROLE IF EXISTS ${name}`);
  await admin.end();
});

describe('database roles: each has only what it needs', () => {
  it('the aggregator role is no superuser and may execute apply_batch and the recovery functions, nothing else', async () => {
    // Prepare
    const tables = await relations();

    // Act
    const role = await database.pool.query(
      `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin
       FROM pg_roles WHERE rolname = $1`,
      [AGGREGATOR],
    );
    const tablePrivileges = await database.pool.query<{ relation: string; privilege: string }>(
      `SELECT r AS relation, p AS privilege FROM unnest($2::text[]) r, unnest($3::text[]) p
       WHERE has_table_privilege($1, r, p)`,
      [AGGREGATOR, tables, PRIVILEGES],
    );
    const functions = await database.pool.query<{ fn: string }>(
      `SELECT p.proname AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND has_function_privilege($1, p.oid, 'EXECUTE') ORDER BY 1`,
      [AGGREGATOR],
    );
    const elsewhere = await database.pool.query(
      `SELECT has_schema_privilege($1, 'public', 'CREATE') AS create_in_schema,
              has_database_privilege($1, current_database(), 'CONNECT') AS connect,
              has_database_privilege($1, current_database(), 'CREATE') AS create_schema,
              has_database_privilege($1, current_database(), 'TEMPORARY') AS temporary,
              (SELECT count(*)::int FROM information_schema.usage_privileges WHERE grantee = $1) AS usage_grants`,
      [AGGREGATOR],
    );

    // Assess: created NOLOGIN; the CDK custom resource gives it LOGIN and its password.
    expect(role.rows).toEqual([
      {
        rolsuper: false,
        rolcreatedb: false,
        rolcreaterole: false,
        rolreplication: false,
        rolbypassrls: false,
        rolcanlogin: false,
      },
    ]);
    expect(tables.length).toBeGreaterThanOrEqual(9);
    expect(tablePrivileges.rows).toEqual([]);
    // The recovery (lambda/recovery) logs in as the aggregator: it reads the checkpoints and the gaps,
    // records an accepted loss and closes a filled gap through these, never a table.
    expect(functions.rows).toEqual([
      { fn: 'accept_offset_gap' },
      // The current call and the previous release's (migration 1764000000011), for a rolled-back function.
      { fn: 'apply_batch' },
      { fn: 'apply_batch' },
      { fn: 'close_filled_offset_gap' },
      { fn: 'offset_gaps' },
      { fn: 'partition_checkpoints' },
    ]);
    expect(elsewhere.rows[0]).toEqual({
      create_in_schema: false,
      connect: true,
      create_schema: false,
      temporary: false,
      usage_grants: 0,
    });
  });

  it('a login acting as the aggregator applies a batch through the handler, yet cannot read or write a table', async () => {
    // Prepare: the handler, configured with that login, as the CDK stack configures it.
    const { url } = await loginAs(AGGREGATOR);
    const aggregator: AggregatorUnderTest = await loadAggregator(url);
    // A branch made of SQL: stored as the name it is, because values travel as parameters.
    const branch = "x'); DROP TABLE currency_position; --";
    const event = encodeMskEvent(
      [
        {
          topic: 'transaction',
          partition: 0,
          offset: 0,
          timestamp: 1,
          value: Buffer.from(JSON.stringify({ branch, currency: 'USD', amount: 1.5 })),
        },
        {
          topic: 'transaction',
          partition: 0,
          offset: 1,
          timestamp: 1,
          value: Buffer.from("'; DELETE FROM partition_checkpoint; --"),
        },
      ],
      {
        eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/security/abc',
        bootstrapServers: 'b-1:9098',
      },
    );

    // Act
    let report: BatchSummary;
    try {
      report = await aggregator.handler(event);
    } finally {
      await aggregator.closeConnections();
    }
    const denied = {
      select: await outcome(url, 'SELECT * FROM currency_position'),
      insert: await outcome(url, "INSERT INTO currency_position VALUES ('a', 'USD', 1, 1, now())"),
      update: await outcome(url, 'UPDATE partition_checkpoint SET next_offset = 0'),
      truncate: await outcome(url, 'TRUNCATE transaction_flow'),
      createTable: await outcome(url, 'CREATE TABLE stolen (x int)'),
      createTemp: await outcome(url, 'CREATE TEMP TABLE stolen (x int)'),
    };

    // Assess
    expect(report).toMatchObject({ applied: 1, rejected: 1 });
    expect(await readPositions(database.pool)).toEqual(new Map([[`${branch}|USD`, { sum: 150n, count: 1 }]]));
    const rejected = await database.pool.query(
      'SELECT convert_from(raw_value, $1) AS value FROM rejected_transaction',
      ['UTF8'],
    );
    expect(rejected.rows).toEqual([{ value: "'; DELETE FROM partition_checkpoint; --" }]);
    // 42501: insufficient_privilege.
    expect(denied).toEqual({
      select: '42501',
      insert: '42501',
      update: '42501',
      truncate: '42501',
      createTable: '42501',
      createTemp: '42501',
    });
  });

  it('the reader role reads every table and view and cannot write, nor call apply_batch', async () => {
    // Prepare
    const tables = await relations();
    const { url } = await loginAs(READER);
    // Tables that later migrations create are readable too (default privileges), functions are closed.
    await database.pool.query(
      'CREATE TABLE later_table (x int); CREATE FUNCTION later_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$',
    );

    // Act
    const reads = await Promise.all(
      [...tables, 'later_table'].map((t) => outcome(url, `SELECT * FROM ${t} LIMIT 1`)),
    );
    const writes = {
      insert: await outcome(url, "INSERT INTO currency_position VALUES ('a', 'USD', 1, 1, now())"),
      update: await outcome(url, 'UPDATE currency_position SET net_amount = 0'),
      delete: await outcome(url, 'DELETE FROM rejected_transaction'),
      truncate: await outcome(url, 'TRUNCATE applied_batch CASCADE'),
      applyBatch: await outcome(
        url,
        APPLY_BATCH_SQL,
        applyBatchParameters(aggregateBatch('arn:aws:kafka:eu-central-1:123456789012:cluster/c/u', [])),
      ),
      laterFunction: await outcome(url, 'SELECT later_fn()'),
      createTable: await outcome(url, 'CREATE TABLE mine (x int)'),
    };
    const role = await database.pool.query(
      `SELECT rolsuper, rolcanlogin, rolconfig FROM pg_roles WHERE rolname = $1`,
      [READER],
    );
    const grants = await database.pool.query<{ relation: string; privilege: string }>(
      `SELECT r AS relation, p AS privilege FROM unnest($2::text[]) r, unnest($3::text[]) p
       WHERE has_table_privilege($1, r, p)`,
      [READER, tables, PRIVILEGES.filter((p) => p !== 'SELECT')],
    );

    // Assess
    expect(
      reads.every((r) => r === 'ok'),
      reads.join(', '),
    ).toBe(true);
    expect(writes).toEqual({
      insert: '42501',
      update: '42501',
      delete: '42501',
      truncate: '42501',
      applyBatch: '42501',
      laterFunction: '42501',
      createTable: '42501',
    });
    expect(grants.rows).toEqual([]);
    // Its own sessions also start read-only: a second fence should a grant ever slip in.
    expect(role.rows).toEqual([
      { rolsuper: false, rolcanlogin: false, rolconfig: ['default_transaction_read_only=on'] },
    ]);
  });

  it('a login with no role cannot even connect, and PUBLIC may not execute apply_batch', async () => {
    // Prepare
    const { url } = await loginAs(undefined);

    // Act
    const connect = await outcome(url, 'SELECT 1');
    const publicExecute = await database.pool.query(
      `SELECT count(*)::int AS n FROM pg_proc p, aclexplode(p.proacl) a
       WHERE p.proname = 'apply_batch' AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'`,
    );

    // Assess
    expect(connect).toBe('42501');
    expect(publicExecute.rows).toEqual([{ n: 0 }]);
  });
});

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a program of the project (args[0]) with no database configured but what `env` gives. */
async function run(args: readonly string[], env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  const [script = '', ...rest] = args;
  return runScript(script, rest, { env: { DATABASE_URL: '', DATABASE_SECRET_ARN: '', ...env }, timeoutMs });
}

/** Runs the aggregator handler in a process of its own and returns all it printed. */
function invokeAggregator(env: Record<string, string>): Promise<Run> {
  return run(['test/security/support/invoke-aggregator.ts'], {
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_METRICS_NAMESPACE: 'TreasuryStream',
    ...env,
  });
}

describe('no credentials in logs', () => {
  let secretsManager: Server;
  let secretsManagerUrl: string;
  const secretPassword = randomBytes(18).toString('base64url');

  beforeAll(async () => {
    // Secrets Manager, as far as GetSecretValue goes: the handler's AWS path, run locally.
    const server = new URL(inject('databaseUrl'));
    secretsManager = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.setHeader('content-type', 'application/x-amz-json-1.1');
        response.end(
          JSON.stringify({
            ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-abc',
            Name: 'db',
            VersionId: 'v1',
            SecretString: JSON.stringify({
              host: server.hostname,
              port: Number(server.port),
              dbname: 'postgres',
              username: 'postgres',
              password: secretPassword,
            }),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
    secretsManagerUrl = `http://127.0.0.1:${(secretsManager.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => secretsManager?.close(resolve));
  });

  it('the handler logs the failure, never the password nor the connection string, whatever fails', async () => {
    // Prepare: a wrong password for the real server; a server that is not there; a URL that does not
    // parse; a secret from Secrets Manager for a server that refuses TLS.
    const server = new URL(inject('databaseUrl'));
    const wrongPassword = randomBytes(18).toString('base64url');
    const wrong = new URL(server);
    wrong.password = wrongPassword;
    const closedPort = await freePort();
    const refused = `postgres://postgres:${wrongPassword}@127.0.0.1:${closedPort}/treasury`;
    // A port out of range: the URL parser's error carries its input (pg-connection-string redacts it).
    const unparsable = `postgres://postgres:${wrongPassword}@127.0.0.1:99999/treasury`;
    const cases: { name: string; env: Record<string, string>; logged: RegExp }[] = [
      {
        name: 'wrong password',
        env: { DATABASE_URL: wrong.toString() },
        logged: /password authentication failed/,
      },
      { name: 'connection refused', env: { DATABASE_URL: refused }, logged: /ECONNREFUSED/ },
      { name: 'unparsable URL', env: { DATABASE_URL: unparsable }, logged: /Invalid URL/ },
      {
        name: 'Secrets Manager',
        env: {
          DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-abc',
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManagerUrl,
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
        },
        logged: /does not support SSL/,
      },
    ];

    // Act
    const runs = await Promise.all(cases.map((c) => invokeAggregator(c.env)));

    // Assess: each failed as a thrown batch, said why, and printed no credential.
    for (const [i, c] of cases.entries()) {
      const { code, output } = runs[i] as Run;
      expect(code, `${c.name}:\n${output}`).toBe(0);
      expect(output, c.name).toMatch(c.logged);
      const secrets = [wrongPassword, secretPassword, c.env.DATABASE_URL ?? wrongPassword];
      expect(findCredentialsInLog(output, secrets), `${c.name}:\n${output}`).toEqual([]);
    }
  });

  it('npm start prints the failure to connect, never the password', async () => {
    // Prepare
    const wrong = new URL(inject('databaseUrl'));
    const wrongPassword = randomBytes(18).toString('base64url');
    wrong.password = wrongPassword;

    // Act
    const { code, output } = await run(['local/run/cli.ts', '--no-produce', '--duration', '1'], {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      DATABASE_URL: wrong.toString(),
      TOPIC: `security-${randomBytes(4).toString('hex')}`,
    });

    // Assess
    expect(code).toBe(1);
    expect(output).toMatch(/password authentication failed/);
    expect(findCredentialsInLog(output, [wrongPassword, wrong.toString()])).toEqual([]);
  });
});
