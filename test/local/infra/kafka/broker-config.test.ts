import { describe, expect, it } from 'vitest';
import {
  brokerFiles,
  log4jProperties,
  serverProperties,
} from '../../../../local/infra/kafka/broker-config.js';

function properties(text: string): Map<string, string> {
  return new Map(
    text
      .trimEnd()
      .split('\n')
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)] as [string, string];
      }),
  );
}

describe('the broker’s server.properties', () => {
  const files = brokerFiles('/data/broker');
  const config = properties(serverProperties(files, { port: 19092, controllerPort: 19093 }));

  it('listens and advertises on 127.0.0.1 only, with the controller on its own port', () => {
    // Assess
    expect(config.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(config.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(config.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
  });

  it('keeps its log in the data dir, so that a restart on it finds topics and offsets', () => {
    // Assess
    expect(config.get('log.dirs')).toBe('/data/broker/kraft-log');
  });

  it('refuses to create topics on first use, as MSK as we configure it does', () => {
    // Assess
    expect(config.get('auto.create.topics.enable')).toBe('false');
  });

  it('lets one broker satisfy every internal topic and write', () => {
    // Assess
    expect(config.get('offsets.topic.replication.factor')).toBe('1');
    expect(config.get('transaction.state.log.replication.factor')).toBe('1');
    expect(config.get('min.insync.replicas')).toBe('1');
  });

  it('keeps the heartbeat well inside the session, which a restart after a crash waits for', () => {
    // Assess
    const heartbeat = Number(config.get('broker.heartbeat.interval.ms'));
    const session = Number(config.get('broker.session.timeout.ms'));
    expect(heartbeat * 4).toBeLessThanOrEqual(session);
  });
});

describe('the broker’s log4j.properties', () => {
  it('writes everything to server.log in the data dir and only warnings to stderr', () => {
    // Act
    const config = properties(log4jProperties(brokerFiles('/data/broker')));

    // Assess
    expect(config.get('log4j.appender.file.File')).toBe('/data/broker/server.log');
    expect(config.get('log4j.appender.stderr.Threshold')).toBe('WARN');
  });
});
