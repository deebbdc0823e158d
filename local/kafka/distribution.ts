import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureMavenClasspath } from '../maven/classpath.js';
import { sharedUntilFailure } from '../shared-until-failure.js';

export const KAFKA_VERSION = '3.9.2';

const execFileAsync = promisify(execFile);
const MIN_JAVA_MAJOR = 17;
const NO_JAVA_HINT =
  'Install a JDK (e.g. apt-get install openjdk-17-jre-headless) or set KAFKA_BROKERS to use an existing cluster.';

const pomPath = fileURLToPath(new URL('./pom.xml', import.meta.url));
const cacheDir = fileURLToPath(new URL(`../../.cache/kafka-${KAFKA_VERSION}/`, import.meta.url));

/**
 * The directory holding the broker's jars (`java -cp '<dir>/*' kafka.Kafka`), fetched from Maven
 * Central on first use into `.cache/kafka-<version>/`. Throws when Java 17+ is not on PATH, or when
 * a fetch is needed and Maven is not.
 */
export const ensureKafkaDistribution = sharedUntilFailure(resolveDistribution);

async function resolveDistribution(log: (line: string) => void): Promise<string> {
  await assertJava();
  return ensureMavenClasspath({ pomPath, cacheDir, what: `Kafka ${KAFKA_VERSION}`, log });
}

async function assertJava(): Promise<void> {
  const versionOutput = await javaVersionOutput().catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
      throw new Error(
        `Java ${MIN_JAVA_MAJOR}+ is required to run the local Kafka broker: \`java\` was not found on PATH. ${NO_JAVA_HINT}`,
        { cause: error },
      );
    }
    throw error;
  });
  const major = javaMajorVersion(versionOutput);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    throw new Error(
      `Java ${MIN_JAVA_MAJOR}+ is required to run the local Kafka broker, but \`java -version\` says: ${versionOutput.trim().split('\n')[0] ?? ''}. ${NO_JAVA_HINT}`,
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
