import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../db/migrate.js';
import { enableLogins, type Login, loginStatement, scramVerifier } from '../../lambda/migrator/roles.js';
import { type LocalPostgres, startEmbeddedPostgres } from '../../local/infra/postgres/embedded.js';

const newPassword = () => randomBytes(24).toString('base64url');
const CAN_EXECUTE_APPLY_BATCH =
  "SELECT bool_and(has_function_privilege(p.oid, 'EXECUTE')) AS allowed FROM pg_proc p WHERE proname = 'apply_batch'";

// What the schema custom resource does in AWS, on a real PostgreSQL: the migrations, then the logins.
describe('the database roles after the schema custom resource', () => {
  let postgres: LocalPostgres;
  let admin: pg.Client;
  let aggregator: Login;
  let reader: Login;

  async function login({ username, password }: Login): Promise<pg.Client> {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: postgres.port,
      database: 'treasury',
      user: username,
      password,
    });
    await client.connect();
    return client;
  }

  async function as<T>(who: Login, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await login(who);
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres();
    admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await migrate(admin);
    aggregator = { username: 'treasury_aggregator', password: newPassword() };
    reader = { username: 'treasury_reader', password: newPassword() };
  }, 120_000);

  afterAll(async () => {
    await admin?.end();
    await postgres?.stop();
  });

  it('cannot log in before the custom resource gives the roles their passwords', async () => {
    const canLogin = await admin.query<{ rolcanlogin: boolean }>(
      "SELECT rolcanlogin FROM pg_roles WHERE rolname IN ('treasury_aggregator', 'treasury_reader')",
    );

    expect(canLogin.rows).toEqual([{ rolcanlogin: false }, { rolcanlogin: false }]);
    await expect(login(aggregator)).rejects.toMatchObject({ code: '28P01' });
  });

  it('logs the aggregator in to execute apply_batch and read nothing', async () => {
    await enableLogins(admin, [aggregator, reader]);

    const allowed = await as(
      aggregator,
      async (c) => (await c.query(CAN_EXECUTE_APPLY_BATCH)).rows[0]?.allowed,
    );

    expect(allowed).toBe(true);
    for (const statement of ['SELECT * FROM currency_position', 'CREATE TEMPORARY TABLE scratch (id int)']) {
      await expect(
        as(aggregator, (c) => c.query(statement)),
        statement,
      ).rejects.toMatchObject({ code: '42501' });
    }
  });

  it('logs the reader in to select from every table and view, and write nothing', async () => {
    await enableLogins(admin, [aggregator, reader]);
    const relations = (
      await admin.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      )
    ).rows.map((r) => r.name);

    const allowed = await as(reader, async (c) => (await c.query(CAN_EXECUTE_APPLY_BATCH)).rows[0]?.allowed);

    expect(allowed).toBe(false);
    expect(relations).toEqual(expect.arrayContaining(['currency_position', 'open_position_by_currency']));
    for (const relation of relations) {
      await as(reader, (c) => c.query(`SELECT count(*) FROM ${pg.escapeIdentifier(relation)}`));
    }
    await expect(
      as(reader, (c) => c.query("INSERT INTO currency_position VALUES ('HQ', 'EUR', 1, 1, now())")),
    ).rejects.toMatchObject({ code: '25006' });
  });

  it('takes the password a secret holds now when it runs again, as after a rotation', async () => {
    await enableLogins(admin, [aggregator, reader]);
    const rotated = { ...aggregator, password: newPassword() };

    await enableLogins(admin, [rotated, reader]);

    await expect(login(aggregator)).rejects.toMatchObject({ code: '28P01' });
    await expect(as(rotated, (c) => c.query('SELECT 1'))).resolves.toBeDefined();
    aggregator = rotated;
  });

  it('refuses a secret whose username the migrations did not create, and changes nothing', async () => {
    const stranger = { username: 'treasury_admin2', password: newPassword() };

    await expect(enableLogins(admin, [aggregator, stranger])).rejects.toThrow(
      /no database role treasury_admin2/,
    );
    await expect(as(aggregator, (c) => c.query('SELECT 1'))).resolves.toBeDefined();
  });
});

describe('the login statement', () => {
  it('sends a SCRAM verifier, never the password, and quotes the role name', () => {
    const statement = loginStatement({ username: 'agg"regator', password: "it's secret" });

    expect(statement).toMatch(/^ALTER ROLE "agg""regator" WITH LOGIN PASSWORD 'SCRAM-SHA-256\$4096:[^']+'$/);
    expect(statement).not.toContain('secret');
  });

  it('derives the verifier as RFC 7677 does', () => {
    // RFC 7677 section 3: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
    const verifier = scramVerifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));

    expect(verifier).toBe(
      'SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$' +
        'WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=',
    );
  });
});
