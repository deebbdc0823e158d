import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../../../db/migrate.js';

/**
 * A database of the test's own under a fixed name, which the test copies at a moment (as a snapshot
 * or point-in-time restore would keep it) and later puts in place of the live one under the same
 * name, as the runbook's instance rename does: the aggregator's DATABASE_URL never changes.
 */
export class SwappableDatabase {
  readonly pool: pg.Pool;
  private readonly copies: string[] = [];

  private constructor(
    private readonly serverUrl: string,
    readonly name: string,
  ) {
    this.pool = new pg.Pool({ connectionString: this.url, max: 4 });
    // Every swap ends the connections; the pool opens new ones on the next query.
    this.pool.on('error', () => undefined);
  }

  static async create(serverUrl: string): Promise<SwappableDatabase> {
    const name = `restore_${randomBytes(6).toString('hex')}`;
    await SwappableDatabase.admin(serverUrl, [`CREATE DATABASE ${name}`]);
    const database = new SwappableDatabase(serverUrl, name);
    const client = await database.pool.connect();
    await migrate(client).finally(() => client.release());
    return database;
  }

  get url(): string {
    const url = new URL(this.serverUrl);
    url.pathname = `/${this.name}`;
    return url.toString();
  }

  /** A copy of the database as it is now (every connection to it is ended first: TEMPLATE needs that). */
  async copy(): Promise<string> {
    const copy = `${this.name}_copy${this.copies.length}`;
    this.copies.push(copy);
    await SwappableDatabase.admin(this.serverUrl, [
      SwappableDatabase.terminate(this.name),
      `CREATE DATABASE ${copy} TEMPLATE ${this.name}`,
    ]);
    return copy;
  }

  /** Puts `copy` in place of the live database, which is kept as <name>_replaced. */
  async restore(copy: string): Promise<void> {
    const replaced = `${this.name}_replaced`;
    this.copies.push(replaced);
    await SwappableDatabase.admin(this.serverUrl, [
      SwappableDatabase.terminate(this.name),
      `ALTER DATABASE ${this.name} RENAME TO ${replaced}`,
      `ALTER DATABASE ${copy} RENAME TO ${this.name}`,
    ]);
    this.copies.splice(this.copies.indexOf(copy), 1);
  }

  async drop(): Promise<void> {
    await this.pool.end();
    await SwappableDatabase.admin(
      this.serverUrl,
      [this.name, ...this.copies].map((name) => `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    );
  }

  private static terminate(name: string): string {
    return `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`;
  }

  private static async admin(serverUrl: string, statements: readonly string[]): Promise<void> {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  }
}
