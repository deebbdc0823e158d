import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MissingPrerequisite } from '../../support/prerequisite.js';

export interface MavenClasspathOptions {
  /** The Maven project whose runtime dependencies make up the classpath. */
  readonly pomPath: string;
  /** Holds `lib/` (the jars) and the marker that says which inputs they were fetched for. */
  readonly cacheDir: string;
  /**
   * Goals run before `dependency:copy-dependencies`, e.g. `['package']` for a project whose own
   * classes are built too (its pom decides where they go).
   * @default none: only the dependencies are fetched
   */
  readonly goals?: readonly string[];
  /**
   * Further files whose contents, with the pom's, decide whether the cache is current: a change to
   * any of them fetches (and builds) again.
   * @default none
   */
  readonly inputs?: readonly string[];
  /** What is fetched, for the notice and for the error when Maven is missing, e.g. "Kafka 3.9.2". */
  readonly what: string;
  /** File name of the marker inside cacheDir. @default 'fetched' */
  readonly markerName?: string;
  /** Receives the one-line notice before a fetch. @default discard it */
  readonly log?: (line: string) => void;
}

const execFileAsync = promisify(execFile);

/**
 * The directory of a Maven project's runtime jars (`java -cp '<dir>/*' …`), fetched from Maven
 * Central on first use into `<cacheDir>/lib` and kept until the pom or an input changes. The marker
 * is written last and holds the inputs' digest, so a fetch that died half way is redone; each fetch
 * downloads into a directory of its own, so a concurrent one never sees a half-filled `lib/`.
 */
export async function ensureMavenClasspath(options: MavenClasspathOptions): Promise<string> {
  const { cacheDir, pomPath } = options;
  const libDir = join(cacheDir, 'lib');
  const markerPath = join(cacheDir, options.markerName ?? 'fetched');
  const digest = await digestOf([pomPath, ...(options.inputs ?? [])]);
  if ((await readIfExists(markerPath)) === digest) {
    return libDir;
  }
  await mavenPrerequisites(options);
  options.log?.(`Fetching ${options.what} from Maven Central into ${cacheDir} (once)`);
  await mkdir(cacheDir, { recursive: true });
  await removeAbandonedDownloads(cacheDir);
  const downloadDir = join(cacheDir, `lib.${process.pid}.${Date.now()}`);
  try {
    await runMaven([
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      pomPath,
      ...(options.goals ?? []),
      'dependency:copy-dependencies',
      `-DoutputDirectory=${downloadDir}`,
      '-DincludeScope=runtime',
    ]);
    if ((await readIfExists(markerPath)) !== digest) {
      await rm(libDir, { recursive: true, force: true });
      await rename(downloadDir, libDir);
      await writeFile(markerPath, digest);
    }
  } finally {
    await rm(downloadDir, { recursive: true, force: true });
  }
  return libDir;
}

/** sha256 over the files' contents in order: for the pom alone, the hash of the pom. */
async function digestOf(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files) hash.update(await readFile(file));
  return hash.digest('hex');
}

/** Download directories of fetches whose process died before it could remove them. */
async function removeAbandonedDownloads(cacheDir: string): Promise<void> {
  for (const entry of await readdir(cacheDir)) {
    const pid = /^lib\.(\d+)\.\d+$/.exec(entry)?.[1];
    if (pid !== undefined && !isRunning(Number(pid))) {
      await rm(join(cacheDir, entry), { recursive: true, force: true });
    }
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Resolves when the classpath is fetched or can be (Maven is on PATH); else a MissingPrerequisite,
 * so that a run can say so before it starts anything.
 */
export async function mavenPrerequisites(options: MavenClasspathOptions): Promise<void> {
  const markerPath = join(options.cacheDir, options.markerName ?? 'fetched');
  const digest = await digestOf([options.pomPath, ...(options.inputs ?? [])]);
  if ((await readIfExists(markerPath)) === digest) return;
  await runMaven(['-v']).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new MissingPrerequisite(
        `Maven is required once, to fetch ${options.what} from Maven Central: \`mvn\` was not found on PATH`,
        'install it (apt-get install maven; macOS: brew install maven)',
      );
    }
    throw error;
  });
}

async function runMaven(args: readonly string[]): Promise<void> {
  try {
    await execFileAsync('mvn', args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') {
      throw error;
    }
    const output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trimEnd().split('\n').slice(-40).join('\n');
    throw new Error(`\`mvn ${args.join(' ')}\` failed (exit code ${failed.code}):\n${output}`, {
      cause: error,
    });
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}
