import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Where a broker keeps its files: all under one data dir, so a restart on it finds them again. */
export interface BrokerFiles {
  readonly dataDir: string;
  readonly properties: string;
  readonly log4j: string;
  readonly ports: string;
  readonly logDir: string;
  readonly serverLog: string;
}

export function brokerFiles(dataDir: string): BrokerFiles {
  return {
    dataDir,
    properties: join(dataDir, 'server.properties'),
    log4j: join(dataDir, 'log4j.properties'),
    ports: join(dataDir, 'ports.json'),
    logDir: join(dataDir, 'kraft-log'),
    serverLog: join(dataDir, 'server.log'),
  };
}

export interface BrokerPorts {
  readonly port: number;
  readonly controllerPort: number;
}

/** The broker's server.properties: one KRaft node that is broker and controller. */
export function serverProperties(files: BrokerFiles, { port, controllerPort }: BrokerPorts): string {
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

/** Its logging: INFO and up into server.log, WARN and up to stderr (the caller's log). */
export function log4jProperties(files: BrokerFiles): string {
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

export function log4jFlag(files: BrokerFiles): string {
  return `-Dlog4j.configuration=${pathToFileURL(files.log4j).href}`;
}
