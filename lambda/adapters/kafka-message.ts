import type { KafkaMessage } from 'kafkajs';
import type { KafkaRecordSource } from '../domain/kafka-record.js';

/**
 * A message kafkajs fetched, as a record of `topic` and `partition` that encodeMskEvent takes: offset
 * and timestamp as numbers, each header's first value (kafkajs gives a list for a repeated name).
 */
export function kafkaRecordSource(
  topic: string,
  partition: number,
  message: KafkaMessage,
): KafkaRecordSource {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key,
    value: message.value,
    headers: Object.fromEntries(
      Object.entries(message.headers ?? {}).map(([name, value]) => [
        name,
        Array.isArray(value) ? value[0] : value,
      ]),
    ),
  };
}
