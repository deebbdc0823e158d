import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database login as its Secrets Manager secret holds it. */
export interface Login {
  readonly username: string;
  readonly password: string;
}

export interface PipelineRoles {
  /** Writes through apply_batch and nothing else. */
  readonly aggregator: Login;
  /** Reads every table and view; writes nothing. */
  readonly reader: Login;
}

const SCRAM_ITERATIONS = 4096;

/**
 * The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677). Sending the
 * verifier instead of the password keeps the password out of the server's statement log. The
 * generated passwords are printable ASCII, for which SASLprep changes nothing.
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * The statements that create or update the two roles and their privileges, for a role that may or
 * may not exist yet. Idempotent: every deployment runs them again, so a password the secret holds
 * is always the one the database accepts, and privileges are back to exactly these.
 */
export function roleStatements(
  database: string,
  roles: PipelineRoles,
  existing: ReadonlySet<string>,
  verifier: (password: string) => string = scramVerifier,
): string[] {
  const db = pg.escapeIdentifier(database);
  const aggregator = pg.escapeIdentifier(roles.aggregator.username);
  const reader = pg.escapeIdentifier(roles.reader.username);
  const login = (role: Login, name: string) =>
    `${existing.has(role.username) ? 'ALTER' : 'CREATE'} ROLE ${name} WITH LOGIN NOSUPERUSER NOCREATEDB ` +
    `NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${pg.escapeLiteral(verifier(role.password))}`;
  return [
    login(roles.aggregator, aggregator),
    login(roles.reader, reader),
    // Only the roles named here may connect (and nobody may create temporary tables by default).
    `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
    `GRANT CONNECT ON DATABASE ${db} TO ${aggregator}, ${reader}`,
    `GRANT USAGE ON SCHEMA public TO ${aggregator}, ${reader}`,
    // PostgreSQL lets PUBLIC execute every new function; apply_batch is SECURITY DEFINER (it writes
    // as its owner), so that would let any login write. Only the aggregator may call it, and
    // functions that later migrations create start closed too.
    'REVOKE ALL ON FUNCTION apply_batch FROM PUBLIC',
    `GRANT EXECUTE ON FUNCTION apply_batch TO ${aggregator}`,
    'ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC',
    // Tables and views, present and to come; sessions read-only as a second fence.
    `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${reader}`,
    `ALTER ROLE ${reader} SET default_transaction_read_only = on`,
  ];
}

/** Creates or updates the roles in one transaction, as the administrator the client is logged in as. */
export async function applyRoles(client: pg.ClientBase, roles: PipelineRoles): Promise<void> {
  const names = [roles.aggregator.username, roles.reader.username];
  await client.query('BEGIN');
  try {
    const database = (await client.query<{ name: string }>('SELECT current_database() AS name')).rows[0]
      ?.name;
    if (!database) throw new Error('current_database() returned nothing');
    const existing = await client.query<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])',
      [names],
    );
    for (const statement of roleStatements(database, roles, new Set(existing.rows.map((r) => r.rolname)))) {
      await client.query(statement);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
