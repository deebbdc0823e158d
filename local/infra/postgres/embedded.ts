import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../net/free-port.js';
import { type PostgresBinaries, postgresBinaries } from './binaries.js';

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
   * @default false
   */
  readonly restartable?: boolean;
  /** @default the platform package's, as postgresBinaries() finds them */
  readonly binaries?: PostgresBinaries;
}

// The same supervisor as the runtime emulator's: the server ends when the process that started it
// does, even by SIGKILL. INT is PostgreSQL's fast shutdown. Passed as text (sh -c), since under root
// it runs as `postgres`, who may not be able to read the clone's folder.
const SUPERVISOR = readFileSync(
  fileURLToPath(new URL('../../lambda-runtime/supervise.sh', import.meta.url)),
  'utf8',
);
const READY_TIMEOUT_MS = 60_000;
const OUTPUT_KEPT = 4_000;

/**
 * Starts a real PostgreSQL from the server binaries npm installed (postgresBinaries), in a supervised
 * child process of its own: no exit hook of any library runs in our process, so the exit code our
 * entry points set (vitest's, npm start's, the soak's, the benchmark's) is the one they exit with.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<LocalPostgres> {
  const binaries = options.binaries ?? (await postgresBinaries());
  const ownsDir = options.dataDir === undefined;
  const parent = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'treasury-pg-')));
  // Under root the server runs as `postgres`: it must be able to enter the folder mkdtemp made 0700.
  if (ownsDir) await chmod(parent, 0o755);
  const dataDir = join(parent, 'data');
  const port = options.port ?? (await freePort());
  // A new random password each run: nothing to leak, nothing hard-coded.
  const password = randomBytes(18).toString('base64url');
  const log = options.log ?? (() => undefined);

  await initialise(binaries, parent, dataDir, password, log);
  let server: RunningServer | undefined = await startServerProcess(
    binaries,
    parent,
    dataDir,
    port,
    password,
    log,
  );
  let stopped = false;
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/treasury`;
  await createDatabase(url.replace(/\/treasury$/, '/postgres'), 'treasury');

  const stopServer = async () => {
    const running = server;
    server = undefined;
    await running?.stop();
  };
  return {
    url,
    port,
    dataDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopServer();
      await rm(ownsDir ? parent : dataDir, { recursive: true, force: true });
    },
    async stopServer() {
      if (!options.restartable)
        throw new Error('stopServer() needs startEmbeddedPostgres({ restartable: true })');
      await stopServer();
    },
    async startServer() {
      if (server || stopped) return;
      server = await startServerProcess(binaries, parent, dataDir, port, password, log);
    },
  };
}

async function initialise(
  binaries: PostgresBinaries,
  parent: string,
  dataDir: string,
  password: string,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const passwordFile = join(parent, `pg-password-${randomBytes(6).toString('hex')}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (binaries.runAs) {
    await chown(dataDir, binaries.runAs.uid, binaries.runAs.gid);
    await chown(passwordFile, binaries.runAs.uid, binaries.runAs.gid);
  }
  try {
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      '--username=postgres',
      `--pwfile=${passwordFile}`,
      // UTF-8 and code-point order on every machine, whatever its locales: PostgreSQL's own provider.
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
    ];
    const child = spawn(binaries.initdb, args, {
      ...spawnIdentity(binaries, parent),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collect(child, log);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`PostgreSQL's initdb failed (exit ${code}): ${output().trim()}`);
  } finally {
    await rm(passwordFile, { force: true });
  }
}

interface RunningServer {
  stop(): Promise<void>;
}

async function startServerProcess(
  binaries: PostgresBinaries,
  parent: string,
  dataDir: string,
  port: number,
  password: string,
  log: (line: string) => void,
): Promise<RunningServer> {
  const child = spawn(
    'sh',
    [
      '-c',
      SUPERVISOR,
      'supervise.sh',
      String(process.pid),
      binaries.postgres,
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP only: no socket file in a shared folder, nothing for another user's server to collide with.
      '-c',
      'unix_socket_directories=',
    ],
    {
      ...spawnIdentity(binaries, parent),
      env: { ...process.env, SUPERVISE_STOP_SIGNAL: 'INT' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = collect(child, log);
  const exited = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(error.message));
    child.once('close', (code, signal) => resolve(signal ?? `code ${code}`));
  });
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  const ready = await Promise.race([
    untilAccepting(url).then(() => undefined),
    exited.then((how) => `PostgreSQL exited (${how}) before it accepted connections: ${output().trim()}`),
  ]);
  if (ready !== undefined) throw new Error(ready);
  return {
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function untilAccepting(url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(
          `PostgreSQL did not accept connections in ${READY_TIMEOUT_MS / 1000} s: ${(error as Error).message}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function createDatabase(maintenanceUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}

/** The server's user, in a folder it can enter (the clone's may be closed to it). */
function spawnIdentity(binaries: PostgresBinaries, cwd: string): { uid?: number; gid?: number; cwd: string } {
  return binaries.runAs ? { uid: binaries.runAs.uid, gid: binaries.runAs.gid, cwd } : { cwd };
}

/** Each line of the child's output to `log`; returns the last few thousand characters, for errors. */
function collect(child: ChildProcess, log: (line: string) => void): () => string {
  let kept = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    kept = (kept + text).slice(-OUTPUT_KEPT);
    for (const line of text.split('\n')) if (line.trim()) log(line.trimEnd());
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return () => kept;
}
