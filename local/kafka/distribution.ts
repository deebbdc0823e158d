import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const KAFKA_VERSION = '3.9.2';

const execFileAsync = promisify(execFile);
const MIN_JAVA_MAJOR = 17;
const NO_JAVA_HINT =
  'Install a JDK (e.g. apt-get install openjdk-17-jre-headless) or set KAFKA_BROKERS to use an existing cluster.';

const pomPath = fileURLToPath(new URL('./pom.xml', import.meta.url));
const cacheDir = fileURLToPath(new URL(`../../.cache/kafka-${KAFKA_VERSION}/`, import.meta.url));
const libDir = join(cacheDir, 'lib');
// Written last, so a fetch that died half way is redone; it holds the pom's hash, so editing the
// dependency list refetches too.
const markerPath = join(cacheDir, 'fetched');

let pending: Promise<string> | undefined;

/**
 * The directory holding the broker's jars (`java -cp '<dir>/*' kafka.Kafka`), fetched from Maven
 * Central on first use into `.cache/kafka-<version>/`. Throws when Java 17+ is not on PATH, or when
 * a fetch is needed and Maven is not.
 */
export function ensureKafkaDistribution(log: (line: string) => void = () => {}): Promise<string> {
  pending ??= resolveDistribution(log).catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function resolveDistribution(log: (line: string) => void): Promise<string> {
  await assertJava();
  const pomHash = createHash('sha256')
    .update(await readFile(pomPath))
    .digest('hex');
  if ((await readIfExists(markerPath)) === pomHash) {
    return libDir;
  }
  await assertMaven();
  log(`Fetching Kafka ${KAFKA_VERSION} from Maven Central into ${cacheDir} (once)`);
  await mkdir(cacheDir, { recursive: true });
  await removeAbandonedDownloads();
  // A private download directory, so a concurrent fetch (another test run, `npm run kafka:fetch`)
  // never sees or removes a half-filled lib directory.
  const downloadDir = join(cacheDir, `lib.${process.pid}.${Date.now()}`);
  try {
    await run('mvn', [
      '-q',
      '-B',
      '-Dstyle.color=never',
      '-f',
      pomPath,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${downloadDir}`,
      '-DincludeScope=runtime',
    ]);
    if ((await readIfExists(markerPath)) !== pomHash) {
      await rm(libDir, { recursive: true, force: true });
      await rename(downloadDir, libDir);
      await writeFile(markerPath, pomHash);
    }
  } finally {
    await rm(downloadDir, { recursive: true, force: true });
  }
  return libDir;
}

/** Download directories of fetches whose process died before it could remove them. */
async function removeAbandonedDownloads(): Promise<void> {
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

async function assertJava(): Promise<void> {
  const versionOutput = await run('java', ['-version']).catch((error: unknown) => {
    if (isNotFound(error)) {
      throw new Error(
        `Java ${MIN_JAVA_MAJOR}+ is required to run the local Kafka broker: \`java\` was not found on PATH. ${NO_JAVA_HINT}`,
      );
    }
    throw error;
  });
  const major = javaMajorVersion(versionOutput);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    throw new Error(
      `Java ${MIN_JAVA_MAJOR}+ is required to run the local Kafka broker, but \`java -version\` says: ${firstLine(versionOutput)}. ${NO_JAVA_HINT}`,
    );
  }
}

async function assertMaven(): Promise<void> {
  await run('mvn', ['-v']).catch((error: unknown) => {
    if (isNotFound(error)) {
      throw new Error(
        `Maven is required once, to fetch the local Kafka broker from Maven Central: \`mvn\` was not found on PATH. Install it (e.g. apt-get install maven), or set KAFKA_BROKERS to use an existing cluster.`,
      );
    }
    throw error;
  });
}

/** `java version "1.8.0_402"` is 8, `openjdk version "17.0.15"` is 17, `"21-ea"` is 21. */
function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) {
    return undefined;
  }
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

async function run(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { maxBuffer: 16 * 1024 * 1024 });
    return `${stdout}${stderr}`;
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') {
      throw error;
    }
    const output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`;
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (exit code ${failed.code}):\n${tail(output, 40)}`,
    );
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

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
