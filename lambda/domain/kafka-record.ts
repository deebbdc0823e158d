import type { MSKEvent, MSKRecord } from 'aws-lambda';

/** A Kafka record as the aggregator sees it, decoded from the MSK event's base64 and byte arrays. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  /** Absent for a record written without a key. */
  readonly key?: Buffer;
  /** Absent for a tombstone (a record written with a null value). */
  readonly value?: Buffer;
}

/**
 * Flattens an MSK event into records, partition by partition in the order AWS lists them.
 * AWS omits `key` and `value` (or sends null) when the record has none; both cases decode to absent.
 */
export function decodeMskEvent(event: MSKEvent): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  for (const partitionRecords of Object.values(event.records)) {
    for (const record of partitionRecords) {
      const key = record.key as string | null | undefined;
      const value = record.value as string | null | undefined;
      const decoded: { -readonly [K in keyof KafkaRecord]: KafkaRecord[K] } = {
        topic: record.topic,
        partition: record.partition,
        offset: Number(record.offset),
        timestamp: Number(record.timestamp),
      };
      if (key !== null && key !== undefined) decoded.key = Buffer.from(key, 'base64');
      if (value !== null && value !== undefined) decoded.value = Buffer.from(value, 'base64');
      records.push(decoded);
    }
  }
  return records;
}

export interface KafkaRecordSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number | string;
  readonly timestamp: number | string;
  readonly key?: Buffer | null;
  readonly value?: Buffer | null;
  readonly headers?: Readonly<Record<string, Buffer | string | undefined>>;
}

export interface MskEventSource {
  /** The MSK cluster ARN AWS puts in `eventSourceArn`. */
  readonly eventSourceArn: string;
  /** Comma-separated bootstrap brokers, as AWS puts them in `bootstrapServers`. */
  readonly bootstrapServers: string;
}

/**
 * Builds the event the MSK event source mapping would send for these records: grouped under
 * `topic-partition`, key and value base64, each header as `{ name: [bytes] }`, CreateTime timestamps.
 * Keys and values that are null are left out, as AWS does.
 */
export function encodeMskEvent(records: readonly KafkaRecordSource[], source: MskEventSource): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const record of records) {
    const groupKey = `${record.topic}-${record.partition}`;
    const headers = Object.entries(record.headers ?? {}).flatMap(([name, header]) =>
      header === undefined ? [] : [{ [name]: [...Buffer.from(header)] }],
    );
    const encoded: Partial<MSKRecord> & Omit<MSKRecord, 'key' | 'value'> = {
      topic: record.topic,
      partition: record.partition,
      offset: Number(record.offset),
      timestamp: Number(record.timestamp),
      timestampType: 'CREATE_TIME',
      headers,
    };
    if (record.key) encoded.key = record.key.toString('base64');
    if (record.value) encoded.value = record.value.toString('base64');
    const group = grouped[groupKey] ?? [];
    group.push(encoded as MSKRecord);
    grouped[groupKey] = group;
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: source.eventSourceArn,
    bootstrapServers: source.bootstrapServers,
    records: grouped,
  };
}
