import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import { freePort, isPortFree } from '../net/free-port.js';
import {
  type BrokerFiles,
  type BrokerPorts,
  brokerFiles,
  log4jProperties,
  serverProperties,
} from './broker-config.js';
import { ensureKafkaDistribution, KAFKA_VERSION } from './distribution.js';
import {
  type BrokerJvm,
  formatStorage,
  removeTempDataDir,
  spawnBrokerJvm,
  trackTempDataDir,
} from './jvm-process.js';

export interface KafkaBrokerOptions {
  /**
   * Holds the broker's config, data and log. Starting again on the same dataDir and port restarts
   * the same broker with its topics, messages and committed offsets.
   * @default a fresh temp dir, removed on stop()
   */
  readonly dataDir?: string;
  /** @default the port the broker last had on dataDir when it is free, else any free port */
  readonly port?: number;
  /** Receives start and stop notices and the broker's WARN and ERROR lines. @default discard them */
  readonly log?: (line: string) => void;
  /** @default 512 */
  readonly heapMb?: number;
}

export interface KafkaBroker {
  readonly brokers: readonly string[];
  readonly port: number;
  readonly dataDir: string;
  /** Controlled shutdown (SIGTERM, SIGKILL after 15 s); removes dataDir when it was a temp dir. */
  stop(): Promise<void>;
  /**
   * SIGKILL now, as a crash would. dataDir stays so that a fault test can restart from it (give
   * startKafkaBroker a dataDir for that); stop() afterwards removes a temp dir.
   */
  kill(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  const heapMb = options.heapMb ?? 512;
  const libDir = await ensureKafkaDistribution(log);
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'kafka-broker-')));
  if (ownsDataDir) {
    trackTempDataDir(dataDir);
  }
  const files = brokerFiles(dataDir);
  const classpath = join(libDir, '*');
  let jvm: BrokerJvm | undefined;
  try {
    await mkdir(files.logDir, { recursive: true });
    const ports = await choosePorts(files, options.port);
    await writeFile(files.ports, JSON.stringify(ports));
    await writeFile(files.properties, serverProperties(files, ports));
    await writeFile(files.log4j, log4jProperties(files));
    if (!existsSync(join(files.logDir, 'meta.properties'))) {
      await formatStorage(classpath, files);
    }

    const startedAt = performance.now();
    jvm = spawnBrokerJvm(classpath, files, { heapMb, log, tempDataDir: ownsDataDir ? dataDir : undefined });
    const brokers = [`127.0.0.1:${ports.port}`];
    await waitUntilAnswering(brokers, jvm, files);
    log(
      `Kafka ${KAFKA_VERSION} broker on ${brokers[0]} (data in ${dataDir}) answered in ${Math.round(performance.now() - startedAt)} ms`,
    );
    return brokerHandle(jvm, { brokers, port: ports.port, dataDir, ownsDataDir });
  } catch (error) {
    await jvm?.terminate('SIGKILL');
    if (ownsDataDir) {
      await removeTempDataDir(dataDir);
    }
    throw error;
  }
}

// The controller keeps its port across restarts too: it is the quorum's voter address.
async function choosePorts(files: BrokerFiles, requested: number | undefined): Promise<BrokerPorts> {
  const previous = await readPreviousPorts(files);
  let port = requested;
  if (port === undefined) {
    port = previous && (await isPortFree(previous.port)) ? previous.port : await freePort();
  } else if (!(await isPortFree(port))) {
    throw new Error(`Cannot start the Kafka broker: port ${port} on 127.0.0.1 is in use`);
  }
  let controllerPort =
    previous && previous.controllerPort !== port && (await isPortFree(previous.controllerPort))
      ? previous.controllerPort
      : await freePort();
  while (controllerPort === port) {
    controllerPort = await freePort();
  }
  return { port, controllerPort };
}

async function readPreviousPorts(files: BrokerFiles): Promise<BrokerPorts | undefined> {
  try {
    return JSON.parse(await readFile(files.ports, 'utf8')) as BrokerPorts;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}

async function waitUntilAnswering(
  brokers: readonly string[],
  jvm: BrokerJvm,
  files: BrokerFiles,
): Promise<void> {
  // Refused connections are expected until the broker is up: keep kafkajs quiet while probing.
  const kafka = new Kafka({
    clientId: 'local-kafka-readiness',
    brokers: [...brokers],
    logCreator: () => () => {},
    connectionTimeout: 1_000,
    requestTimeout: 2_000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'no attempt yet';
  while (!jvm.hasExited()) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) {
        return;
      }
      lastError = 'the cluster has no broker yet';
    } catch (error) {
      lastError = (error as Error).message;
    } finally {
      await admin.disconnect();
    }
    if (Date.now() > deadline) {
      throw new Error(
        `The Kafka broker on ${brokers[0]} did not answer within ${READY_TIMEOUT_MS / 1000} s (${lastError}).\n${await logTail(jvm, files)}`,
      );
    }
    await sleep(250);
  }
  throw new Error(`The Kafka broker ${await jvm.exit} before it answered.\n${await logTail(jvm, files)}`);
}

async function logTail(jvm: BrokerJvm, files: BrokerFiles): Promise<string> {
  const serverLog = await readFile(files.serverLog, 'utf8').catch(() => '');
  const lines = serverLog.trimEnd().split('\n').slice(-30).join('\n');
  return `Last lines of ${files.serverLog}:\n${lines}\nLast output of the JVM:\n${jvm.recentOutput.join('\n')}`;
}

interface BrokerIdentity {
  readonly brokers: readonly string[];
  readonly port: number;
  readonly dataDir: string;
  readonly ownsDataDir: boolean;
}

function brokerHandle(jvm: BrokerJvm, identity: BrokerIdentity): KafkaBroker {
  let stopped: Promise<void> | undefined;
  return {
    brokers: identity.brokers,
    port: identity.port,
    dataDir: identity.dataDir,
    stop() {
      stopped ??= (async () => {
        await jvm.terminate('SIGTERM');
        if (identity.ownsDataDir) {
          await removeTempDataDir(identity.dataDir);
        }
      })();
      return stopped;
    },
    kill() {
      return jvm.terminate('SIGKILL');
    },
  };
}
