import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheDir } from '../../support/fs/cache-dir.js';
import { diskFullOr, MissingPrerequisite } from '../../support/prerequisite.js';
import { sharedUntilFailure } from '../../support/shared-until-failure.js';
import { ensureMavenClasspath, type MavenClasspathOptions, mavenPrerequisites } from '../maven/classpath.js';

export const KAFKA_VERSION = '3.9.2';

const execFileAsync = promisify(execFile);
const MIN_JAVA_MAJOR = 17;
const NO_JAVA_HINT =
  'install a JDK (apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) or set KAFKA_BROKERS to use an existing cluster';

const pomPath = fileURLToPath(new URL('./pom.xml', import.meta.url));
const distribution = (log?: (line: string) => void): MavenClasspathOptions => ({
  pomPath,
  cacheDir: cacheDir(`kafka-${KAFKA_VERSION}`),
  what: `Kafka ${KAFKA_VERSION}`,
  log,
});

/**
 * The directory holding the broker's jars (`java -cp '<dir>/*' kafka.Kafka`), fetched from Maven
 * Central on first use into `.cache/kafka-<version>/`. Throws when Java 17+ is not on PATH, or when
 * a fetch is needed and Maven is not.
 */
export const ensureKafkaDistribution = sharedUntilFailure(resolveDistribution);

/** Resolves when the broker can run here (Java 17+, and Maven unless Kafka is fetched); else a MissingPrerequisite. */
export async function kafkaPrerequisites(): Promise<void> {
  await assertJava();
  await mavenPrerequisites(distribution());
}

async function resolveDistribution(log: (line: string) => void): Promise<string> {
  await assertJava();
  const options = distribution(log);
  return ensureMavenClasspath(options).catch((error: unknown) => {
    throw diskFullOr(error, options.cacheDir);
  });
}

async function assertJava(): Promise<void> {
  const versionOutput = await javaVersionOutput().catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new MissingPrerequisite(
        `Java ${MIN_JAVA_MAJOR}+ is required to run the local Kafka broker: \`java\` was not found on PATH`,
        NO_JAVA_HINT,
      );
    }
    throw error;
  });
  const major = javaMajorVersion(versionOutput);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    throw new MissingPrerequisite(
      `Java ${MIN_JAVA_MAJOR}+ is required to run the local Kafka broker, but \`java -version\` says: ${versionOutput.trim().split('\n')[0] ?? ''}`,
      NO_JAVA_HINT,
    );
  }
}

async function javaVersionOutput(): Promise<string> {
  const { stdout, stderr } = await execFileAsync('java', ['-version']);
  return `${stdout}${stderr}`;
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
