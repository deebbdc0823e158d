import { Logger } from '@aws-lambda-powertools/logger';
import { createPool, readDatabaseSource } from '../adapters/database.js';
import { createKafka, readKafkaSource } from '../adapters/kafka-client.js';
import { describeFills, fillGaps, type GapFill } from './fill-gaps.js';
import { describeRecovery, type RecoveryReport, recoverPartitions } from './recover.js';
import { readRecoveryRequest, readRecoveryTarget } from './settings.js';

// Configuration is read once per container; a missing setting fails the cold start with its name.
const databaseSource = readDatabaseSource(process.env);
const kafkaSource = readKafkaSource(process.env);
const target = readRecoveryTarget(process.env);
const logger = new Logger({ serviceName: 'recovery' });

/**
 * Invoked by an operator (docs/RUNBOOK.md), never by an event: the code of `npm run recover`, from
 * inside the VPC. {} applies the offsets missing between each checkpoint and the mapping's committed
 * offset; {"acceptLoss": {"reason": "..."}} also records offsets the topic no longer holds as an
 * accepted loss; {"fillGaps": true} applies the offsets of the gaps recorded in offset_gap from the
 * topic. Returns what it did per partition or gap.
 */
export async function handler(payload: unknown): Promise<RecoveryReport | { readonly fills: GapFill[] }> {
  const request = readRecoveryRequest(payload);
  // A new client and pool per invocation: a recovery is rare, and nothing of one should outlive it.
  const [kafka, pool] = await Promise.all([
    createKafka(kafkaSource, 'treasury-stream-recovery'),
    createPool(databaseSource),
  ]);
  const onBatch = (line: object) => logger.info('recovery batch committed', { ...line });
  try {
    if (request.fillGaps) {
      const fills = await fillGaps({ kafka, pool, ...target, onBatch });
      for (const line of describeFills(target.topic, fills)) logger.info(line);
      return { fills };
    }
    const report = await recoverPartitions({
      kafka,
      pool,
      ...target,
      acceptLoss: request.acceptLoss,
      onBatch,
    });
    for (const [i, line] of describeRecovery(report).entries()) {
      const partition = report.partitions[i];
      if (partition?.outcome === 'records missing')
        logger.error(line, { ...partition, missing: partition.missing });
      else logger.info(line, { ...partition, missing: partition?.missing });
    }
    return report;
  } finally {
    await pool.end();
  }
}
