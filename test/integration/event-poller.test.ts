/**
 * The benchmark's Java event poller (bench/e2e/poller/EventPoller.java) on the real broker: the events
 * it POSTs are, byte for byte, what encodeMskEvent makes of the same records read back by kafkajs;
 * batches keep to the batch size and to partition order; a failed invocation is retried with the
 * same event; offsets are committed only after the function answered.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { JavaEventPoller, type PollerRetry } from '../../bench/e2e/poller/java-event-poller.js';
import { kafkaRecordSource } from '../../lambda/adapters/kafka-message.js';
import { encodeMskEvent } from '../../lambda/domain/kafka-record.js';
import { MissingPrerequisite } from '../../local/support/prerequisite.js';
import { fullyCommitted, produce, testKafka, waitFor } from './support/kafka.js';

const TOPIC = 'event-poller';
const GROUP = 'event-poller-test';
const BATCH_SIZE = 40;
const SOURCE = {
  eventSourceArn: 'arn:aws:kafka:local:000000000000:cluster/poller-test/x',
  bootstrapServers: '',
};
// Keys and values of any bytes (not UTF-8, empty, absent) and headers, so that every branch of the encoder runs.
// 110 per partition: offsets past 99, so that the digit cache carries into a third digit.
const MESSAGES = Array.from({ length: 330 }, (_, i) => ({
  key: i % 7 === 0 ? null : Buffer.from(`branch-${i % 5}`),
  value:
    i % 11 === 0
      ? null
      : i % 13 === 0
        ? Buffer.alloc(0)
        : Buffer.from([i % 256, 0xff, 0x00, 0x22, 0x5c, i % 3]),
  headers: i % 4 === 0 ? { trace: Buffer.from([1, 2, 250]), kind: `h${i}` } : undefined,
  partition: i % 3,
}));

interface Posted {
  readonly body: string;
  readonly at: number;
  /** The group's committed offset for the event's partition while the function ran (-1: none). */
  readonly committedDuring: number;
}

interface PostedEvent {
  readonly records: Record<string, { partition: number; offset: number }[]>;
}

describe("the benchmark's Java event poller", () => {
  const brokers = inject('kafkaBrokers');
  const posted: Posted[] = [];
  const retries: PollerRetry[] = [];
  const failures: string[] = [];
  let server: Server;
  let poller: JavaEventPoller | undefined;
  let failFirst = true;

  const admin = testKafka(brokers).admin();

  beforeAll(async () => {
    await produce(brokers, TOPIC, MESSAGES);
    await admin.connect();
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const [records = []] = Object.values((JSON.parse(body) as PostedEvent).records);
        posted.push({ body, at: Date.now(), committedDuring: await committed(records[0]?.partition ?? -1) });
        // The first invocation fails as a function that threw: the poller must send the same event again.
        const answer = failFirst
          ? JSON.stringify({ errorType: 'Error', errorMessage: 'first invocation fails' })
          : JSON.stringify({ applied: true });
        failFirst = false;
        response.writeHead(200, { 'content-type': 'application/json' }).end(answer);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    poller = await JavaEventPoller.start({
      brokers: brokers.split(','),
      topic: TOPIC,
      groupId: GROUP,
      eventSourceArn: SOURCE.eventSourceArn,
      batchSize: BATCH_SIZE,
      windowMs: 200,
      maxBytes: 6 * 1024 * 1024,
      invokeUrls: [`http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`],
      log: () => undefined,
      onRetry: (retry) => retries.push(retry),
      onFailure: (reason) => failures.push(reason),
    });
    // A new group's coordinator may answer "not the correct coordinator" for a moment: not yet, then.
    await waitFor(
      () => fullyCommitted(brokers, TOPIC, GROUP).catch(() => false),
      60_000,
      'the poller to commit the topic',
    );
  });

  /** The group's committed offset of `partition`, -1 while it has none. */
  async function committed(partition: number): Promise<number> {
    const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }).catch(() => []);
    return Number(topic?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
  }

  afterAll(async () => {
    await poller?.stop();
    await admin.disconnect();
    await new Promise((resolve) => server.close(resolve));
  });

  it('posts, byte for byte, the MSK event encodeMskEvent makes of the same records', async () => {
    const read = await readTopic(brokers, MESSAGES.length);
    const successful = posted.slice(1);
    for (const { body } of successful) {
      const event = JSON.parse(body) as { records: Record<string, { partition: number; offset: number }[]> };
      const [records] = Object.values(event.records);
      const expected = encodeMskEvent(
        (records ?? []).map(({ partition, offset }) => {
          const message = read.get(`${partition}:${offset}`);
          if (!message) throw new Error(`partition ${partition} offset ${offset} is not in the topic`);
          return kafkaRecordSource(TOPIC, partition, message);
        }),
        { ...SOURCE, bootstrapServers: brokers },
      );
      expect(body).toBe(JSON.stringify(expected));
    }
    const delivered = successful.flatMap(({ body }) =>
      Object.values((JSON.parse(body) as { records: Record<string, unknown[]> }).records).flat(),
    );
    expect(delivered).toHaveLength(MESSAGES.length);
  });

  it('commits a batch only after the function answered it', () => {
    for (const { body, committedDuring } of posted) {
      const [records = []] = Object.values((JSON.parse(body) as PostedEvent).records);
      expect(committedDuring).toBeLessThanOrEqual(records[0]?.offset ?? -1);
    }
  });

  it('keeps each partition in offset order, each record once, at most the batch size per event', () => {
    const byPartition = new Map<number, number[]>();
    const fullBatches = new Set<number>();
    for (const { body } of posted.slice(1)) {
      const event = JSON.parse(body) as { records: Record<string, { partition: number; offset: number }[]> };
      expect(Object.keys(event.records)).toHaveLength(1);
      const [records = []] = Object.values(event.records);
      expect(records.length).toBeGreaterThan(0);
      expect(records.length).toBeLessThanOrEqual(BATCH_SIZE);
      if (records.length === BATCH_SIZE) fullBatches.add(records[0]?.partition ?? -1);
      for (const { partition, offset } of records)
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), offset]);
    }
    expect([...byPartition.keys()].sort()).toEqual([0, 1, 2]);
    // The records were all in the topic before it started: it gathers them into full batches.
    expect([...fullBatches].sort()).toEqual([0, 1, 2]);
    for (const offsets of byPartition.values()) {
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('retries a failed invocation with the same event, and reports it', () => {
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error).toContain('first invocation fails');
    const [failed, again] = posted;
    const partitionOf = (body: string) => Object.keys((JSON.parse(body) as { records: object }).records)[0];
    const retried = posted.slice(1).find(({ body }) => partitionOf(body) === partitionOf(failed?.body ?? ''));
    expect(retried?.body).toBe(failed?.body);
    expect(again).toBeDefined();
    expect(failures).toEqual([]);
  });
});

describe("the benchmark's Java event poller on a machine without javac", () => {
  it('says in one line what is missing and how to install it', async () => {
    const bin = await mkdtemp(join(tmpdir(), 'no-javac-'));
    const path = process.env.PATH;
    try {
      // java alone, as a JRE-only machine has it.
      await symlink(execFileSync('sh', ['-c', 'command -v java']).toString().trim(), join(bin, 'java'));
      process.env.PATH = bin;
      const starting = JavaEventPoller.start({
        brokers: inject('kafkaBrokers').split(','),
        topic: TOPIC,
        groupId: `${GROUP}-no-javac`,
        eventSourceArn: SOURCE.eventSourceArn,
        batchSize: BATCH_SIZE,
        windowMs: 200,
        maxBytes: 6 * 1024 * 1024,
        invokeUrls: ['http://127.0.0.1:9/'],
        log: () => undefined,
        onFailure: () => undefined,
      });
      await expect(starting).rejects.toBeInstanceOf(MissingPrerequisite);
      await expect(starting).rejects.toThrow(/`javac`, which was not found on PATH: install a JDK 17\+/);
    } finally {
      process.env.PATH = path;
      await rm(bin, { recursive: true, force: true });
    }
  });
});

/** The topic's records as kafkajs reads them, by "partition:offset". */
async function readTopic(brokers: string, count: number): Promise<Map<string, KafkaMessage>> {
  const consumer = testKafka(brokers).consumer({ groupId: `${GROUP}-reader` });
  const read = new Map<string, KafkaMessage>();
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      read.set(`${partition}:${message.offset}`, message);
    },
  });
  await waitFor(async () => read.size >= count, 30_000, 'kafkajs to read the topic back');
  await consumer.disconnect();
  return read;
}
