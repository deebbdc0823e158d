import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database login as its Secrets Manager secret holds it. */
export interface Login {
  readonly username: string;
  readonly password: string;
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

/** The statement that lets a role log in with the password its secret holds. */
export function loginStatement(login: Login, verifier: (password: string) => string = scramVerifier): string {
  return (
    `ALTER ROLE ${pg.escapeIdentifier(login.username)} WITH LOGIN ` +
    `PASSWORD ${pg.escapeLiteral(verifier(login.password))}`
  );
}

/**
 * Lets the roles the migrations created (NOLOGIN, with their privileges: see
 * db/migrations/*_roles.sql) log in with the passwords their secrets hold now. Run on every
 * deployment, so that the database always accepts what the secret says, in one transaction.
 */
export async function enableLogins(client: pg.ClientBase, logins: readonly Login[]): Promise<void> {
  const names = logins.map((l) => l.username);
  const existing = await client.query<{ rolname: string }>(
    'SELECT rolname FROM pg_roles WHERE rolname = ANY($1::text[])',
    [names],
  );
  const missing = names.filter((name) => !existing.rows.some((r) => r.rolname === name));
  if (missing.length > 0) {
    throw new Error(
      `no database role ${missing.join(', ')}: a secret's username must name a role the migrations create`,
    );
  }
  await client.query('BEGIN');
  try {
    for (const login of logins) await client.query(loginStatement(login));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
