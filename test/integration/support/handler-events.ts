import type { MSKEvent } from 'aws-lambda';
import type pg from 'pg';
import { encodeMskEvent, type KafkaRecordSource } from '../../../lambda/domain/kafka-record.js';

/** The topic the handler tests write to: each has a database of its own, so they may share a name. */
export const HANDLER_TOPIC = 'transaction';

const SOURCE = {
  eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/test/abc',
  bootstrapServers: 'b-1:9098',
};

/** The MSK event the mapping would send for these records, from one test cluster. */
export function handlerEvent(records: readonly KafkaRecordSource[]): MSKEvent {
  return encodeMskEvent(records, SOURCE);
}

/** Empties every table the handler writes, so that a test starts from no positions and no checkpoints. */
export async function resetHandlerTables(pool: pg.Pool): Promise<void> {
  await pool.query(
    'TRUNCATE applied_batch, transaction_flow, position_result_flow, currency_position, rejected_transaction, ' +
      'partition_checkpoint, offset_gap, limit_breach',
  );
}
