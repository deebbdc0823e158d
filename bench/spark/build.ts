/**
 * The Spark peer's build: the job (bench/spark/peer) built once with Maven into .cache/spark-peer/
 * (git-ignored), and again when its sources change; Spark's jars come from Maven Central (about 225 MB).
 *
 * The runtime classpath is a Maven fetch cached by a digest, as Kafka's is (local/kafka/distribution.ts);
 * the one fetcher for both is to live in local/maven/classpath.ts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const SPARK_VERSION = '3.5.7';
const projectDir = fileURLToPath(new URL('./peer/', import.meta.url));
const pomPath = join(projectDir, 'pom.xml');
const cacheDir = fileURLToPath(new URL('../../.cache/spark-peer/', import.meta.url));
const libDir = join(cacheDir, 'lib');
const classesDir = join(cacheDir, 'target', 'classes');
// Holds a hash of the job's sources and pom: a change rebuilds, an interrupted build is redone.
const builtMarker = join(cacheDir, 'built');
const sourceFiles = [
  pomPath,
  join(projectDir, 'src/main/java/treasury/bench/SparkPeer.java'),
  join(projectDir, 'src/main/resources/log4j2.properties'),
];
const execFileAsync = promisify(execFile);

/**
 * Builds the job once (and again when its sources change): `mvn package` and its runtime classpath
 * copied from Maven Central. Returns the classpath.
 */
export async function ensureSparkPeerBuilt(log: (line: string) => void): Promise<string> {
  const hash = createHash('sha256');
  for (const file of sourceFiles) hash.update(await readFile(file));
  const digest = hash.digest('hex');
  const classpath = `${classesDir}:${join(libDir, '*')}`;
  if ((await readFile(builtMarker, 'utf8').catch(() => '')).trim() === digest) return classpath;
  log(`Building the Spark peer (Spark ${SPARK_VERSION}; first time: about 225 MB from Maven Central)`);
  await mkdir(cacheDir, { recursive: true });
  await rm(builtMarker, { force: true });
  await rm(libDir, { recursive: true, force: true });
  await run('mvn', [
    '-q',
    '-B',
    '-Dstyle.color=never',
    '-f',
    pomPath,
    'package',
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libDir}`,
    '-DincludeScope=runtime',
  ]);
  await writeFile(builtMarker, digest);
  return classpath;
}

async function run(command: string, args: readonly string[]): Promise<void> {
  try {
    await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') {
      throw new Error(`\`${command}\` is not on PATH: the Spark peer needs Java 17 and Maven`);
    }
    const output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` failed:\n${output}`);
  }
}

/** `openjdk version "17.0.15" …` → `Java 17.0.15`. */
export async function javaVersion(): Promise<string> {
  const { stderr } = await execFileAsync('java', ['-version']);
  return javaVersionOf(stderr);
}

/** The version in `java -version`'s output (the JDK prints it as text; there is no structured form). */
export function javaVersionOf(output: string): string {
  const version = /version "([^"]+)"/.exec(output)?.[1];
  return version ? `Java ${version}` : 'Java (version unknown)';
}
