import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleDashboardPort } from '../../../local/dashboard/port.js';
import { freePort } from '../../../local/infra/net/free-port.js';
import { MissingPrerequisite } from '../../../local/support/prerequisite.js';
import { pathWithout } from '../support/path-without.js';
import { oneErrorLine, runCli } from '../support/run-cli.js';

// What a newcomer's first `npm start` meets: each missing or wrong prerequisite is one line on
// stderr naming it and its fix, exit code 1, within 10 s, before anything is started.
const WITHIN_MS = 10_000;
// A run uses neither a given cluster nor a given database unless the test says so.
const NOTHING_GIVEN = { KAFKA_BROKERS: undefined, DATABASE_URL: undefined, TREASURY_CACHE_DIR: undefined };
const START = ['--duration', '1', '--no-dashboard'];

let emptyCache: string;
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  emptyCache = await mkdtemp(join(tmpdir(), 'fresh-cache-'));
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => busy?.close(resolve));
  await rm(emptyCache, { recursive: true, force: true });
});

describe('the dashboard port', () => {
  it('given busy with --dashboard-port, is one line before Kafka or PostgreSQL start', async () => {
    const run = await runCli(
      'local/run/cli.ts',
      ['--duration', '1', '--dashboard-port', String(busyPort)],
      NOTHING_GIVEN,
    );

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toBe(
      `error: --dashboard-port ${busyPort}: port ${busyPort} on 127.0.0.1 is in use: give another one ` +
        '(--dashboard-port 0 takes any free port) or serve none with --no-dashboard',
    );
    expect(run.stdout).toBe('');
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });

  it('by default, moves to the next free port when the default is busy, and says so', async () => {
    const lines: string[] = [];

    const port = await settleDashboardPort(undefined, (line) => lines.push(line), busyPort);

    expect(port).toBeGreaterThan(busyPort);
    expect(lines).toEqual([`dashboard: port ${busyPort} is in use, so the dashboard takes ${port}`]);
    // The default free stays the default, silently.
    const free = await freePort();
    expect(await settleDashboardPort(undefined, (line) => lines.push(line), free)).toBe(free);
    expect(lines).toHaveLength(1);
  });

  it('asked for and free is that port; 0 stays any free port', async () => {
    const free = await freePort();

    expect(await settleDashboardPort(free, () => undefined)).toBe(free);
    expect(await settleDashboardPort(0, () => undefined)).toBe(0);
    await expect(settleDashboardPort(busyPort, () => undefined)).rejects.toBeInstanceOf(MissingPrerequisite);
  });
});

describe('a missing or wrong prerequisite of npm start', () => {
  it('no Java: one line naming the JDK to install or KAFKA_BROKERS', async () => {
    const run = await runCli('local/run/cli.ts', START, {
      ...NOTHING_GIVEN,
      PATH: await pathWithout(['java']),
    });

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toMatch(
      /^error: Java 17\+ is required to run the local Kafka broker: `java` was not found on PATH: install a JDK \(apt-get install openjdk-17-jre-headless.*\) or set KAFKA_BROKERS/,
    );
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });

  it('no Maven, with Kafka not fetched yet: one line naming the install command', async () => {
    const run = await runCli('local/run/cli.ts', START, {
      ...NOTHING_GIVEN,
      PATH: await pathWithout(['mvn']),
      TREASURY_CACHE_DIR: emptyCache,
    });

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toMatch(
      /^error: Maven is required once, to fetch Kafka 3\.9\.2 from Maven Central: `mvn` was not found on PATH: install it \(apt-get install maven/,
    );
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });

  it('a DATABASE_URL that refuses connections: one line naming it, its password hidden', async () => {
    const port = await freePort();
    // Made at run time: a literal password in the source is what the credentials scan looks for.
    const password = randomBytes(9).toString('hex');

    const run = await runCli('local/run/cli.ts', START, {
      ...NOTHING_GIVEN,
      DATABASE_URL: `postgres://someone:${password}@127.0.0.1:${port}/treasury`,
    });

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toBe(
      `error: DATABASE_URL (postgres://someone:***@127.0.0.1:${port}/treasury) does not accept connections ` +
        '(ECONNREFUSED): start that PostgreSQL or correct its host and port in DATABASE_URL, or unset it to use an embedded one',
    );
    expect(run.stdout).not.toMatch(/Kafka: embedded/);
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });

  it('KAFKA_BROKERS that nothing answers on: one line naming them', async () => {
    const port = await freePort();

    const run = await runCli('local/run/cli.ts', START, {
      ...NOTHING_GIVEN,
      KAFKA_BROKERS: `127.0.0.1:${port}`,
    });

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toBe(
      `error: KAFKA_BROKERS (127.0.0.1:${port}): no broker answers (127.0.0.1:${port}: ECONNREFUSED): start ` +
        'that cluster or correct KAFKA_BROKERS (host:port,…), or unset it to use an embedded broker',
    );
    expect(run.stdout).not.toMatch(/PostgreSQL: embedded/);
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });

  it('a full disk under the cache (a filled tmpfs): one line naming the folder', async () => {
    // A tmpfs of 64 KiB, filled, as the cache: mounted in a mount namespace of the test's own
    // (unshare, as a mapped root user, so no privilege is needed).
    const cache = await mkdtemp(join(tmpdir(), 'full-cache-'));
    const script =
      `mount -t tmpfs -o size=64k tmpfs "$0" && (dd if=/dev/zero of="$0/filler" bs=4k 2>/dev/null; true) && ` +
      `exec "$1" --import tsx local/run/cli.ts --duration 1 --no-dashboard`;
    const { code, stdout, stderr } = await promisify(execFile)(
      'unshare',
      ['--user', '--map-root-user', '--mount', 'sh', '-c', script, cache, process.execPath],
      {
        env: { ...process.env, TREASURY_CACHE_DIR: cache, KAFKA_BROKERS: '', DATABASE_URL: '' },
        timeout: 30_000,
      },
    ).then(
      (done) => ({ code: 0, ...done }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({
        code: error.code ?? null,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
      }),
    );
    await rm(cache, { recursive: true, force: true });

    expect(code, stderr).toBe(1);
    expect(oneErrorLine({ code, stdout, stderr, ms: 0 })).toMatch(
      /^error: the disk under .*\/logs is full \(ENOSPC\): free some space there/,
    );
  });
});

describe('a Lambda runtime that cannot be prepared, at npm run rie:fetch', () => {
  const fetchWithout = async (tools: string[]) =>
    runCli('local/lambda-runtime/fetch-cli.ts', [], {
      ...NOTHING_GIVEN,
      PATH: await pathWithout(tools),
      TREASURY_CACHE_DIR: emptyCache,
    });

  it('no Go: one line naming the install command, before anything is fetched', async () => {
    const run = await fetchWithout(['go']);

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toMatch(/^error: go is not on PATH .*: install Go \(apt-get install golang-go/);
    expect(run.stdout).toBe('');
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });

  it('no compiler toolchain: one line naming build-essential and cmake', async () => {
    const run = await fetchWithout(['cmake']);

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toMatch(
      /^error: cmake is not on PATH \(aws-lambda-ric builds .*\): install them \(apt-get install build-essential cmake/,
    );
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });

  it('no python3 with pip for Node.js 24: one line naming python3-pip', async () => {
    const run = await fetchWithout(['python3']);

    expect(run.code).toBe(1);
    expect(oneErrorLine(run)).toMatch(
      /^error: python3 with pip is not on PATH \(it fetches Node\.js 24\.19\.0.*\): install it \(apt-get install python3-pip/,
    );
    expect(run.ms).toBeLessThan(WITHIN_MS);
  });
});
