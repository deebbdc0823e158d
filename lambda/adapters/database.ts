import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { ConfigError, type Env, integerEnv, optionalEnv } from './env.js';

/** Where the database credentials come from: a URL locally, a Secrets Manager secret in AWS. */
export type DatabaseSource =
  | { readonly kind: 'url'; readonly url: string; readonly poolSize: number }
  | { readonly kind: 'secret'; readonly secretArn: string; readonly poolSize: number };

export function readDatabaseSource(env: Env): DatabaseSource {
  // Lambda runs one invocation per container at a time: one connection is all it uses. The local
  // runtime invokes one handler per partition concurrently and raises it.
  const poolSize = integerEnv(env, 'DATABASE_POOL_SIZE', 4, 1, 100);
  const url = optionalEnv(env, 'DATABASE_URL');
  if (url) return { kind: 'url', url, poolSize };
  const secretArn = optionalEnv(env, 'DATABASE_SECRET_ARN');
  if (secretArn) return { kind: 'secret', secretArn, poolSize };
  throw new ConfigError(
    'DATABASE_SECRET_ARN is not set (nor DATABASE_URL): set DATABASE_SECRET_ARN to the ARN of a Secrets ' +
      'Manager secret with host, port, dbname, username and password, or DATABASE_URL to a postgres:// URL',
  );
}

/** The fields of an RDS-generated secret this project uses. */
interface DatabaseSecret {
  readonly host: string;
  readonly port?: number | string;
  readonly dbname?: string;
  readonly username: string;
  readonly password: string;
}

function parseSecret(secretString: string | undefined, secretArn: string): DatabaseSecret {
  let parsed: Partial<DatabaseSecret>;
  try {
    parsed = JSON.parse(secretString ?? '') as Partial<DatabaseSecret>;
  } catch {
    throw new ConfigError(`secret ${secretArn} is not JSON`);
  }
  for (const field of ['host', 'username', 'password'] as const) {
    if (typeof parsed[field] !== 'string' || parsed[field] === '') {
      throw new ConfigError(`secret ${secretArn} has no "${field}"`);
    }
  }
  return parsed as DatabaseSecret;
}
/**
 * Builds a pg pool. For a secret the credentials are fetched once per container (the handler drops the
 * pool when a login fails, so a rotated password is fetched again). TLS is required and verified for a
 * remote database.
 */
export async function createPool(source: DatabaseSource, secrets?: SecretsManagerClient): Promise<pg.Pool> {
  if (source.kind === 'url') {
    // sslmode in the URL (e.g. ?sslmode=verify-full) is honoured by pg itself.
    return withIdleErrorsLogged(
      new pg.Pool({
        connectionString: source.url,
        max: source.poolSize,
        application_name: 'treasury-stream',
      }),
    );
  }
  const client = secrets ?? new SecretsManagerClient({});
  const response = await client.send(new GetSecretValueCommand({ SecretId: source.secretArn }));
  const secret = parseSecret(response.SecretString, source.secretArn);
  return withIdleErrorsLogged(
    new pg.Pool({
      host: secret.host,
      port: Number(secret.port ?? 5432),
      database: secret.dbname ?? 'postgres',
      user: secret.username,
      password: secret.password,
      max: source.poolSize,
      application_name: 'treasury-stream',
      // RDS certificates chain to the Amazon RDS CAs, which Lambda's Node.js runtime trusts when
      // NODE_EXTRA_CA_CERTS points at its bundle (the CDK stack sets it).
      ssl: { rejectUnauthorized: true },
      connectionTimeoutMillis: 10_000,
    }),
  );
}

/**
 * An idle pooled connection that the server closes (a restart, a failover) emits 'error' on the pool;
 * unheard, that would kill the process. The pool drops that connection and the next query opens a new
 * one; a query that was running gets its own error and fails its batch, which is then retried.
 */
function withIdleErrorsLogged(pool: pg.Pool): pg.Pool {
  pool.on('error', (error) => {
    console.warn(
      JSON.stringify({ level: 'WARN', message: 'idle database connection closed', error: error.message }),
    );
  });
  return pool;
}
