/** A pg pool that counts what the code under test sends through it: statements, round trips, bytes. */
import type pg from 'pg';

/** What a metered pool has sent, counted on the client side. */
export interface PoolCounts {
  /** Calls of pool.query: statements the code under test issued. */
  readonly statements: number;
  /**
   * ReadyForQuery messages received: the server sends one at the end of each simple query or
   * extended-protocol Sync, so this counts round trips however the statements were issued.
   */
  readonly roundTrips: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface MeteredPool {
  /** The pool to hand to the code under test. */
  readonly pool: pg.Pool;
  read(): PoolCounts;
}

/** Wraps a pool so that its statements, round trips and bytes on the wire are counted. */
export function meterPool(pool: pg.Pool): MeteredPool {
  let statements = 0;
  let roundTrips = 0;
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    clients.add(client);
    client.connection.on('readyForQuery', () => {
      roundTrips++;
    });
  });
  const counted = new Proxy(pool, {
    get(target, property) {
      if (property === 'query') {
        return (...args: Parameters<pg.Pool['query']>) => {
          statements++;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    pool: counted,
    read() {
      let bytesSent = 0;
      let bytesReceived = 0;
      for (const client of clients) {
        const socket = client.connection.stream as { bytesWritten?: number; bytesRead?: number };
        bytesSent += socket.bytesWritten ?? 0;
        bytesReceived += socket.bytesRead ?? 0;
      }
      return { statements, roundTrips, bytesSent, bytesReceived };
    },
  };
}

/** What was sent between two readings. */
export function difference(after: PoolCounts, before: PoolCounts): PoolCounts {
  return {
    statements: after.statements - before.statements,
    roundTrips: after.roundTrips - before.roundTrips,
    bytesSent: after.bytesSent - before.bytesSent,
    bytesReceived: after.bytesReceived - before.bytesReceived,
  };
}
