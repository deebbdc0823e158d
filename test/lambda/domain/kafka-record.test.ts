import type { MSKEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  decodeMskEvent,
  encodeMskEvent,
  type KafkaRecord,
  type KafkaRecordSource,
} from '../../../lambda/domain/kafka-record.js';
import { decodeTransaction } from '../../../lambda/domain/transaction.js';
import { loadMskEvent } from '../../fixtures/load-msk-event.js';
import { parserMessage } from '../../fixtures/parser-message.js';

const CLUSTER_ARN =
  'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/7f3c9a52-1b2d-4e5f-9a8b-0c1d2e3f4a5b-2';
const BROKERS =
  'b-1.treasurystream.a1bc2d.c2.kafka.eu-central-1.amazonaws.com:9098,' +
  'b-2.treasurystream.a1bc2d.c2.kafka.eu-central-1.amazonaws.com:9098';
const T0 = 1_732_441_850_987;

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('decodeMskEvent', () => {
  it('decodes an event as AWS sends it, two partitions in the order listed', async () => {
    // Prepare
    const event = await loadMskEvent();

    // Act
    const records = decodeMskEvent(event);

    // Assess
    expect(records).toEqual<KafkaRecord[]>([
      {
        topic: 'transaction',
        partition: 0,
        offset: 15,
        timestamp: T0,
        key: Buffer.from('Kazan'),
        value: json({ id: 'tx-1a', branch: 'Kazan', currency: 'USD', amount: 42.5, eventTime: T0 }),
      },
      {
        topic: 'transaction',
        partition: 0,
        offset: 16,
        timestamp: T0 + 1,
        value: json({ branch: 'SPB', currency: 'EUR', amount: -17 }),
      },
      { topic: 'transaction', partition: 0, offset: 17, timestamp: T0 + 2, key: Buffer.from('Surgut') },
      {
        topic: 'transaction',
        partition: 2,
        offset: 40,
        timestamp: T0 + 3,
        key: Buffer.from('Novosibirsk'),
        value: Buffer.alloc(0),
      },
      {
        topic: 'transaction',
        partition: 2,
        offset: 41,
        timestamp: T0 + 4,
        key: Buffer.from('Novosibirsk'),
        value: json({ id: 'tx-1b', branch: 'Novosibirsk', currency: 'RUB', amount: 0.1, eventTime: T0 + 4 }),
      },
      {
        topic: 'transaction',
        partition: 2,
        offset: 42,
        timestamp: T0 + 5,
        key: Buffer.from('Novosibirsk'),
        value: Buffer.from('branch=Novosibirsk;amount=5'),
      },
    ]);
  });

  it('leaves out the key of a record written without one and the value of a tombstone', async () => {
    // Prepare
    const event = await loadMskEvent();

    // Act
    const records = decodeMskEvent(event);

    // Assess
    const keyless = records.find((record) => record.offset === 16);
    const tombstone = records.find((record) => record.offset === 17);
    expect(keyless !== undefined && 'key' in keyless).toBe(false);
    expect(tombstone !== undefined && 'value' in tombstone).toBe(false);
  });

  it('hands the validator what it needs to tell a tombstone, an empty value and bad JSON apart', async () => {
    // Prepare
    const event = await loadMskEvent();

    // Act
    const outcomes = decodeMskEvent(event).map((record) => {
      const decoded = decodeTransaction(record.value);
      return decoded.ok ? decoded.value.amountCents : decoded.reason;
    });

    // Assess
    expect(outcomes).toEqual([
      4250,
      -1700,
      'record has no value (tombstone)',
      'value is empty',
      10,
      `value is not JSON: ${parserMessage('branch=Novosibirsk;amount=5')}`,
    ]);
  });

  it('treats a key and a value that AWS sends as null like absent ones', async () => {
    // Prepare
    const event: MSKEvent = {
      eventSource: 'aws:kafka',
      eventSourceArn: CLUSTER_ARN,
      bootstrapServers: BROKERS,
      records: {
        'transaction-1': [
          {
            topic: 'transaction',
            partition: 1,
            offset: 7,
            timestamp: T0,
            timestampType: 'CREATE_TIME',
            key: null as unknown as string,
            value: null as unknown as string,
            headers: [],
          },
        ],
      },
    };

    // Act
    const records = decodeMskEvent(event);

    // Assess
    expect(records).toEqual([{ topic: 'transaction', partition: 1, offset: 7, timestamp: T0 }]);
    expect(Object.keys(records[0] ?? {})).toEqual(['topic', 'partition', 'offset', 'timestamp']);
  });

  it('decodes an event without records to no records', async () => {
    // Prepare
    const event: MSKEvent = {
      eventSource: 'aws:kafka',
      eventSourceArn: CLUSTER_ARN,
      bootstrapServers: BROKERS,
      records: {},
    };

    // Act
    const records = decodeMskEvent(event);

    // Assess
    expect(records).toEqual([]);
  });
});

describe('encodeMskEvent', () => {
  const sources: KafkaRecordSource[] = [
    {
      topic: 'transaction',
      partition: 2,
      offset: '40',
      timestamp: String(T0),
      key: Buffer.from('Novosibirsk'),
      value: json({ branch: 'Novosibirsk', currency: 'RUB', amount: 0.1 }),
      headers: {
        'content-type': 'application/json',
        'trace-id': Buffer.from([0, 1, 254, 255]),
        skipped: undefined,
      },
    },
    { topic: 'transaction', partition: 0, offset: 15, timestamp: T0 + 1, key: null, value: json({ a: 1 }) },
    {
      topic: 'transaction',
      partition: 0,
      offset: 16,
      timestamp: T0 + 2,
      key: Buffer.from('SPB'),
      value: null,
    },
    { topic: 'transaction', partition: 2, offset: 41, timestamp: T0 + 3, value: Buffer.alloc(0) },
  ];

  it('builds the event as AWS does: records keyed topic-partition, base64, byte-array headers', async () => {
    // Act
    const event = encodeMskEvent(sources, { eventSourceArn: CLUSTER_ARN, bootstrapServers: BROKERS });

    // Assess
    expect(event).toEqual({
      eventSource: 'aws:kafka',
      eventSourceArn: CLUSTER_ARN,
      bootstrapServers: BROKERS,
      records: {
        'transaction-2': [
          {
            topic: 'transaction',
            partition: 2,
            offset: 40,
            timestamp: T0,
            timestampType: 'CREATE_TIME',
            key: Buffer.from('Novosibirsk').toString('base64'),
            value: json({ branch: 'Novosibirsk', currency: 'RUB', amount: 0.1 }).toString('base64'),
            headers: [
              { 'content-type': [...Buffer.from('application/json')] },
              { 'trace-id': [0, 1, 254, 255] },
            ],
          },
          {
            topic: 'transaction',
            partition: 2,
            offset: 41,
            timestamp: T0 + 3,
            timestampType: 'CREATE_TIME',
            value: '',
            headers: [],
          },
        ],
        'transaction-0': [
          {
            topic: 'transaction',
            partition: 0,
            offset: 15,
            timestamp: T0 + 1,
            timestampType: 'CREATE_TIME',
            value: json({ a: 1 }).toString('base64'),
            headers: [],
          },
          {
            topic: 'transaction',
            partition: 0,
            offset: 16,
            timestamp: T0 + 2,
            timestampType: 'CREATE_TIME',
            key: Buffer.from('SPB').toString('base64'),
            headers: [],
          },
        ],
      },
    });
  });

  it('leaves out null keys and values rather than sending null', async () => {
    // Act
    const event = encodeMskEvent(sources, { eventSourceArn: CLUSTER_ARN, bootstrapServers: BROKERS });

    // Assess
    const [keyless, tombstone] = event.records['transaction-0'] ?? [];
    expect(keyless !== undefined && 'key' in keyless).toBe(false);
    expect(tombstone !== undefined && 'value' in tombstone).toBe(false);
  });

  it('round-trips through decodeMskEvent, grouped by partition in order of first appearance', async () => {
    // Prepare
    const event = encodeMskEvent(sources, { eventSourceArn: CLUSTER_ARN, bootstrapServers: BROKERS });

    // Act
    const records = decodeMskEvent(JSON.parse(JSON.stringify(event)) as MSKEvent);

    // Assess
    expect(records).toEqual<KafkaRecord[]>([
      {
        topic: 'transaction',
        partition: 2,
        offset: 40,
        timestamp: T0,
        key: Buffer.from('Novosibirsk'),
        value: json({ branch: 'Novosibirsk', currency: 'RUB', amount: 0.1 }),
      },
      { topic: 'transaction', partition: 2, offset: 41, timestamp: T0 + 3, value: Buffer.alloc(0) },
      { topic: 'transaction', partition: 0, offset: 15, timestamp: T0 + 1, value: json({ a: 1 }) },
      { topic: 'transaction', partition: 0, offset: 16, timestamp: T0 + 2, key: Buffer.from('SPB') },
    ]);
  });

  it('round-trips arbitrary bytes and offsets beyond 2^31 unchanged', async () => {
    // Prepare
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const source: KafkaRecordSource = {
      topic: 'transaction',
      partition: 1,
      offset: '4294967296123',
      timestamp: T0,
      key: bytes.subarray(0, 3),
      value: bytes,
    };

    // Act
    const [record] = decodeMskEvent(
      encodeMskEvent([source], { eventSourceArn: CLUSTER_ARN, bootstrapServers: BROKERS }),
    );

    // Assess
    expect(record).toEqual({
      topic: 'transaction',
      partition: 1,
      offset: 4_294_967_296_123,
      timestamp: T0,
      key: bytes.subarray(0, 3),
      value: bytes,
    });
  });

  it('re-encodes the AWS fixture to the same event, headers aside', async () => {
    // Prepare
    const fixture = await loadMskEvent();
    const withoutHeaders = (event: MSKEvent) =>
      Object.fromEntries(
        Object.entries(event.records).map(([key, records]) => [
          key,
          records.map(({ headers: _headers, ...record }) => record),
        ]),
      );

    // Act
    const event = encodeMskEvent(decodeMskEvent(fixture), {
      eventSourceArn: fixture.eventSourceArn,
      bootstrapServers: fixture.bootstrapServers,
    });

    // Assess
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toBe(fixture.eventSourceArn);
    expect(event.bootstrapServers).toBe(fixture.bootstrapServers);
    expect(withoutHeaders(event)).toEqual(withoutHeaders(fixture));
  });
});
