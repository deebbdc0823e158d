import { connect } from 'node:net';
import pg from 'pg';
import { MissingPrerequisite } from '../support/prerequisite.js';

// A newcomer's typo must be one line within seconds, not a client's retries for a minute.
const CONNECT_TIMEOUT_MS = 5_000;

/** A connection URL without its password, for printing. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

/**
 * Connects once to the DATABASE_URL database before anything starts: a server that refuses the
 * connection, a wrong password or a missing database is one line naming it and the fix.
 */
export async function checkGivenDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A server that drops the connection later emits 'error' on the client: never an unhandled event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const failure = error as { code?: string; message?: string };
    const where = `DATABASE_URL (${redact(url)})`;
    if (failure.code === '28P01' || failure.code === '28000') {
      throw new MissingPrerequisite(
        `${where} refused the login: ${failure.message}`,
        'correct the user and password in DATABASE_URL, or unset it to use an embedded PostgreSQL',
      );
    }
    if (failure.code === '3D000') {
      throw new MissingPrerequisite(
        `${where}: ${failure.message}`,
        'create it (createdb <name>) or name another database in DATABASE_URL',
      );
    }
    throw new MissingPrerequisite(
      `${where} does not accept connections (${failure.code ?? failure.message ?? String(error)})`,
      'start that PostgreSQL or correct its host and port in DATABASE_URL, or unset it to use an embedded one',
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Opens a TCP connection to each KAFKA_BROKERS address before anything starts: when none answers,
 * one line says so (a Kafka client would retry for a minute and then print a stack).
 */
export async function checkGivenBrokers(brokers: readonly string[]): Promise<void> {
  const failures = await Promise.all(brokers.map(reachFailure));
  if (failures.every((failure) => failure !== undefined)) {
    throw new MissingPrerequisite(
      `KAFKA_BROKERS (${brokers.join(',')}): no broker answers (${failures.join('; ')})`,
      'start that cluster or correct KAFKA_BROKERS (host:port,…), or unset it to use an embedded broker',
    );
  }
}

/** Why `address` (host:port) cannot be reached, or undefined when it accepts a connection. */
async function reachFailure(address: string): Promise<string | undefined> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    return `${address} is not host:port`;
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    const done = (failure: string | undefined) => {
      socket.destroy();
      resolve(failure);
    };
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () => done(`${address}: no answer in ${CONNECT_TIMEOUT_MS / 1000} s`));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done(`${address}: ${error.code ?? error.message}`),
    );
  });
}
