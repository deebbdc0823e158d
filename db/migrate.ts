import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { ClientBase } from 'pg';

/** The migrations table node-pg-migrate keeps its ledger in. */
export const MIGRATIONS_TABLE = 'schema_migrations';

export interface MigrateOptions {
  /** Folder of the `.sql` migrations. @default db/migrations beside this file */
  readonly dir?: string;
  /** Where progress lines go. @default silent */
  readonly log?: (line: string) => void;
}

/**
 * Applies every pending migration, each in its own transaction, under node-pg-migrate's advisory lock
 * so that concurrent starters (tests, the local runtime, a CDK custom resource) apply each once.
 * The same function serves the local runtime and the custom resource, so both get the same schema.
 * Returns the names of the migrations it applied.
 */
export async function migrate(client: ClientBase, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const applied = await runner({
    dbClient: client,
    dir: options.dir ?? fileURLToPath(new URL('./migrations', import.meta.url)),
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    count: Number.POSITIVE_INFINITY,
    checkOrder: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return applied.map((migration) => migration.name);
}
