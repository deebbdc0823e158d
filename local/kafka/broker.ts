import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { type Admin, Kafka, type logCreator, logLevel } from 'kafkajs';
import { ensureKafkaDistribution, KAFKA_VERSION } from './distribution.js';

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
const STOP_GRACE_MS = 15_000;
const LEADERS_TIMEOUT_MS = 30_000;
const execFileAsync = promisify(execFile);

// Serial GC: on two cores a concurrent collector's threads compete with the broker and the tests,
// and pauses on a heap this small stay in the milliseconds.
const JVM_FLAGS = ['-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true'];

export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? (() => {});
  const heapMb = options.heapMb ?? 512;
  const libDir = await ensureKafkaDistribution(log);
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'kafka-broker-')));
  if (ownsDataDir) {
    tempDataDirs.add(dataDir);
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

/**
 * kafkajs logging for use with `logLevel.WARN`, without the error responses that its connections log
 * before the client retries them (a coordinator still loading, a topic that already exists): those
 * that matter surface as thrown errors anyway.
 */
export const quietKafkaLogCreator: logCreator =
  () =>
  ({ namespace, label, log }) => {
    if (namespace === 'Connection' && log.message.startsWith('Response ')) {
      return;
    }
    const { message, timestamp: _timestamp, ...details } = log;
    console.error(`kafkajs ${label} [${namespace}] ${message} ${JSON.stringify(details)}`);
  };

/**
 * Creates the topic and waits until every partition has a leader. Idempotent when the topic exists
 * with the same partition count; throws when it exists with another.
 */
export async function createTopic(
  brokers: readonly string[],
  topic: string,
  partitions: number,
  replicationFactor = 1,
): Promise<void> {
  const admin = new Kafka({
    clientId: 'local-kafka-admin',
    brokers: [...brokers],
    logLevel: logLevel.WARN,
    logCreator: quietKafkaLogCreator,
  }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
      waitForLeaders: true,
    });
    if (!created) {
      const existing = await partitionsOf(admin, topic);
      if (existing.length !== partitions) {
        throw new Error(
          `Topic ${topic} already exists with ${existing.length} partitions, not ${partitions}`,
        );
      }
    }
    await waitForLeaders(admin, topic, partitions);
  } finally {
    await admin.disconnect();
  }
}

interface BrokerFiles {
  readonly dataDir: string;
  readonly properties: string;
  readonly log4j: string;
  readonly ports: string;
  readonly logDir: string;
  readonly serverLog: string;
}

function brokerFiles(dataDir: string): BrokerFiles {
  return {
    dataDir,
    properties: join(dataDir, 'server.properties'),
    log4j: join(dataDir, 'log4j.properties'),
    ports: join(dataDir, 'ports.json'),
    logDir: join(dataDir, 'kraft-log'),
    serverLog: join(dataDir, 'server.log'),
  };
}

interface BrokerPorts {
  readonly port: number;
  readonly controllerPort: number;
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

function serverProperties(files: BrokerFiles, { port, controllerPort }: BrokerPorts): string {
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    `log.dirs=${files.logDir}`,
    // One broker: every internal topic and write must be satisfied by it alone.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    // The group and transaction coordinators' topics are created on first use with 50 partitions each
    // by default; on a loaded 2-core machine loading them took long enough that new consumer groups
    // were answered NOT_COORDINATOR until kafkajs gave up. Three each load at once.
    'offsets.topic.num.partitions=3',
    'transaction.state.log.num.partitions=3',
    // Consumers in tests join alone; waiting 3 s for more members only slows them down.
    'group.initial.rebalance.delay.ms=0',
    'num.partitions=3',
    // After a crash (kill()) the restarted broker cannot register until the controller has expired
    // the dead incarnation's session: 9 s by default, 3 s here. The heartbeat must stay well inside it.
    'broker.heartbeat.interval.ms=500',
    'broker.session.timeout.ms=3000',
    // Like MSK as we configure it: a typo in a topic name fails instead of creating a new topic.
    'auto.create.topics.enable=false',
  ].join('\n')}\n`;
}

function log4jProperties(files: BrokerFiles): string {
  return `${[
    'log4j.rootLogger=INFO, file, stderr',
    'log4j.appender.file=org.apache.log4j.RollingFileAppender',
    `log4j.appender.file.File=${files.serverLog}`,
    'log4j.appender.file.MaxFileSize=10MB',
    'log4j.appender.file.MaxBackupIndex=2',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.appender.stderr=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stderr.Target=System.err',
    'log4j.appender.stderr.Threshold=WARN',
    'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stderr.layout.ConversionPattern=[kafka] %p %m (%c)%n',
  ].join('\n')}\n`;
}

function log4jFlag(files: BrokerFiles): string {
  return `-Dlog4j.configuration=${pathToFileURL(files.log4j).href}`;
}

async function formatStorage(classpath: string, files: BrokerFiles): Promise<void> {
  const args = [
    '-Xmx256m',
    ...JVM_FLAGS,
    log4jFlag(files),
    '-cp',
    classpath,
    'kafka.tools.StorageTool',
    'format',
    '-t',
    newClusterId(),
    '-c',
    files.properties,
    '--ignore-formatted',
  ];
  try {
    await execFileAsync('java', args);
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `Formatting the Kafka storage in ${files.logDir} failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`,
    );
  }
}

/** A Kafka Uuid: 16 random bytes in URL-safe base64, not starting with '-' (it would read as a flag). */
function newClusterId(): string {
  let id = randomBytes(16).toString('base64url');
  while (id.startsWith('-')) {
    id = randomBytes(16).toString('base64url');
  }
  return id;
}

interface BrokerJvm {
  /** The broker's last stdout and stderr lines, for error messages. */
  readonly recentOutput: readonly string[];
  readonly exit: Promise<string>;
  hasExited(): boolean;
  /** Sends the signal (SIGKILL after the grace period) and resolves once the JVM is gone. */
  terminate(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

interface JvmOptions {
  readonly heapMb: number;
  readonly log: (line: string) => void;
  /** Removed by the watchdog when Node dies without cleaning up. */
  readonly tempDataDir: string | undefined;
}

function spawnBrokerJvm(
  classpath: string,
  files: BrokerFiles,
  { heapMb, log, tempDataDir }: JvmOptions,
): BrokerJvm {
  const child = spawn(
    'java',
    [
      `-Xms${Math.min(heapMb, 128)}m`,
      `-Xmx${heapMb}m`,
      ...JVM_FLAGS,
      log4jFlag(files),
      '-cp',
      classpath,
      'kafka.Kafka',
      files.properties,
    ],
    // Its own process group, so Ctrl+C reaches only Node, which stops consumers before the broker.
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watchdog = spawnWatchdog(child, tempDataDir);
  const killNow = (): void => {
    child.kill('SIGKILL');
    watchdog?.kill('SIGKILL');
  };
  liveProcessKillers.add(killNow);
  installExitHooks();

  const recentOutput: string[] = [];
  let exited = false;
  let stopping = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      recentOutput.push(line);
      if (recentOutput.length > 50) {
        recentOutput.shift();
      }
      log(line);
    });
  }
  const exit = new Promise<string>((resolve) => {
    const onGone = (description: string): void => {
      if (exited) {
        return;
      }
      exited = true;
      watchdog?.kill('SIGKILL');
      liveProcessKillers.delete(killNow);
      if (!stopping) {
        log(`Kafka broker ${description}`);
      }
      resolve(description);
    };
    child.once('exit', (code, signal) => onGone(`exited with ${signal ?? `code ${code}`}`));
    child.once('error', (error) => onGone(`could not be started: ${error.message}`));
  });

  return {
    recentOutput,
    exit,
    hasExited: () => exited,
    async terminate(signal) {
      if (exited) {
        return;
      }
      stopping = true;
      child.kill(signal);
      if (signal !== 'SIGKILL' && !(await settlesWithin(exit, STOP_GRACE_MS))) {
        log(`Kafka broker did not stop within ${STOP_GRACE_MS / 1000} s of ${signal}; killing it`);
        child.kill('SIGKILL');
      }
      await exit;
    },
  };
}

/**
 * Kills the JVM when this Node process dies without running its 'exit' hooks (SIGKILL, a crashed
 * test worker): the watchdog's stdin is a pipe only Node holds, so it reads end-of-file then.
 */
function spawnWatchdog(child: ChildProcess, tempDataDir: string | undefined): ChildProcess | undefined {
  if (child.pid === undefined || process.platform === 'win32') {
    return undefined;
  }
  // The pause lets the killed JVM release its files before its temp dir is removed.
  const script = 'read -r _; kill -KILL "$0" 2>/dev/null; if [ -n "$1" ]; then sleep 1; rm -rf -- "$1"; fi';
  return spawn('sh', ['-c', script, String(child.pid), tempDataDir ?? ''], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
}

const liveProcessKillers = new Set<() => void>();
const tempDataDirs = new Set<string>();
let exitHooksInstalled = false;

async function removeTempDataDir(dataDir: string): Promise<void> {
  await rm(dataDir, { recursive: true, force: true, maxRetries: 3 });
  tempDataDirs.delete(dataDir);
}

function installExitHooks(): void {
  if (exitHooksInstalled) {
    return;
  }
  exitHooksInstalled = true;
  process.on('exit', cleanUpBeforeExit);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // Another listener (the local runtime's CLI) owns a graceful shutdown, which stops the broker;
      // the 'exit' hook remains the backstop.
      if (process.listenerCount(signal) > 1) {
        return;
      }
      cleanUpBeforeExit();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Synchronous, as 'exit' listeners must be; a signal re-raised by its default action emits no 'exit'. */
function cleanUpBeforeExit(): void {
  for (const killNow of liveProcessKillers) {
    killNow();
  }
  for (const dataDir of tempDataDirs) {
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
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

async function partitionsOf(admin: Admin, topic: string): Promise<readonly { readonly leader: number }[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics.find((candidate) => candidate.name === topic)?.partitions ?? [];
}

async function waitForLeaders(admin: Admin, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + LEADERS_TIMEOUT_MS;
  let state = 'no metadata yet';
  while (Date.now() < deadline) {
    try {
      const current = await partitionsOf(admin, topic);
      if (current.length === partitions && current.every((partition) => partition.leader >= 0)) {
        return;
      }
      state = `${current.filter((partition) => partition.leader >= 0).length} of ${partitions} partitions have a leader`;
    } catch (error) {
      // Metadata can lag the creation by a moment (UNKNOWN_TOPIC_OR_PARTITION): ask again.
      state = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(
    `Topic ${topic}: partitions still without a leader after ${LEADERS_TIMEOUT_MS / 1000} s (${state})`,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' ? resolve(false) : reject(error),
    );
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
