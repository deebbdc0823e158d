/**
 * The Spark peer's build: the job (bench/spark/peer) built once with Maven into .cache/spark-peer/
 * (git-ignored), and again when its sources change; Spark's jars come from Maven Central (about
 * 225 MB) through the one cached Maven fetcher Kafka's distribution uses too.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureMavenClasspath } from '../../local/infra/maven/classpath.js';

export const SPARK_VERSION = '3.5.7';
const projectDir = fileURLToPath(new URL('./peer/', import.meta.url));
// The pom builds its classes into <cache>/target (its cache.dir), beside the fetched lib/.
const cacheDir = fileURLToPath(new URL('../../.cache/spark-peer/', import.meta.url));
const classesDir = join(cacheDir, 'target', 'classes');
const execFileAsync = promisify(execFile);

/**
 * Builds the job once (and again when its pom or sources change): `mvn package` and its runtime
 * classpath copied from Maven Central. Returns the classpath.
 */
export async function ensureSparkPeerBuilt(log: (line: string) => void): Promise<string> {
  const libDir = await ensureMavenClasspath({
    pomPath: join(projectDir, 'pom.xml'),
    cacheDir,
    goals: ['package'],
    inputs: [
      join(projectDir, 'src/main/java/treasury/bench/SparkPeer.java'),
      join(projectDir, 'src/main/resources/log4j2.properties'),
    ],
    what: `the Spark peer (Spark ${SPARK_VERSION}; first time: about 225 MB)`,
    // Holds the digest of the pom and sources: a change rebuilds, an interrupted build is redone.
    markerName: 'built',
    log,
  });
  return `${classesDir}:${join(libDir, '*')}`;
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
