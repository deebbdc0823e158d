import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { ConfigError } from '../../contracts/config-error.js';
import { BATCH_SIZE_RANGE, DEFAULT_SETTINGS, LOCAL_MAPPING } from '../../contracts/settings.js';
import { describeFills, fillGaps } from '../../lambda/recovery/fill-gaps.js';
import { describeRecovery, recoverPartitions } from '../../lambda/recovery/recover.js';
import { localClusterArn } from '../esm/local-mapping.js';
import { exitAfterOutput } from '../support/exit-after-output.js';
import { rangedFlag } from '../support/flags.js';

const usage = `npm run recover -- [options]   (KAFKA_BROKERS and DATABASE_URL say where)
  Applies, per partition, the offsets between the database's checkpoint and the mapping's committed
  offset, from the topic, through the aggregator's path; names offsets the topic no longer holds.
  --topic <name>          topic (default ${DEFAULT_SETTINGS.streaming.topic})
  --group <id>            the mapping's consumer group (default ${LOCAL_MAPPING.consumerGroupId})
  --event-source <arn>    the checkpoints' event source (default: the local runtime's, from the broker's cluster id)
  --batch-size <n>        records per apply_batch (default ${DEFAULT_SETTINGS.mapping.aggregatorBatchSize})
  --accept-loss --reason "..."   also record offsets the topic no longer holds in offset_gap, with the
                          time and this reason, and let their partitions resume past them
  --fill-gaps             instead, apply the offsets of each gap recorded in offset_gap (a batch the
                          mapping discarded in provisioned mode) from the topic, and remove the gap
Prints one line per partition, and one JSON line per batch applied. Exits 0 when every partition is up
to date, 2 when records are missing and not accepted, 1 on an error.`;

function required(name: string, hint: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set: ${hint}`);
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      topic: { type: 'string' },
      group: { type: 'string' },
      'event-source': { type: 'string' },
      'batch-size': { type: 'string' },
      'accept-loss': { type: 'boolean', default: false },
      'fill-gaps': { type: 'boolean', default: false },
      reason: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const reason = values.reason?.trim();
  if (values['accept-loss'] && !reason)
    throw new Error('--accept-loss needs --reason "why the loss is accepted"');
  if (!values['accept-loss'] && reason) throw new Error('--reason goes with --accept-loss');
  if (values['accept-loss'] && values['fill-gaps'])
    throw new Error('--fill-gaps and --accept-loss are two runs');
  const brokers = required('KAFKA_BROKERS', 'set it to the brokers, host:port[,host:port]').split(',');
  const databaseUrl = required(
    'DATABASE_URL',
    'set it to a postgres:// URL of the database (the aggregator login suffices)',
  );
  const kafka = new Kafka({ clientId: 'treasury-stream-recovery', brokers, logLevel: logLevel.NOTHING });
  let eventSource = values['event-source'];
  if (eventSource === undefined) {
    const admin = kafka.admin();
    await admin.connect();
    const { clusterId } = await admin.describeCluster().finally(() => admin.disconnect());
    eventSource = localClusterArn('treasury-stream-local', clusterId);
  }
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 2,
    application_name: 'treasury-stream-recovery',
  });
  const target = {
    kafka,
    pool,
    eventSource,
    topic: values.topic ?? DEFAULT_SETTINGS.streaming.topic,
    groupId: values.group ?? LOCAL_MAPPING.consumerGroupId,
    batchSize: rangedFlag(
      'batch-size',
      values['batch-size'],
      DEFAULT_SETTINGS.mapping.aggregatorBatchSize,
      BATCH_SIZE_RANGE,
    ),
    onBatch: (line: unknown) => console.log(JSON.stringify(line)),
  };
  try {
    if (values['fill-gaps']) {
      const fills = await fillGaps(target);
      for (const line of describeFills(target.topic, fills)) console.log(line);
      return fills.some((fill) => fill.outcome === 'gone') ? 2 : 0;
    }
    const report = await recoverPartitions({ ...target, acceptLoss: reason ? { reason } : undefined });
    for (const line of describeRecovery(report)) console.log(line);
    return report.recordsMissing ? 2 : 0;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => exitAfterOutput(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `error: ${error.message}` : error);
    exitAfterOutput(1);
  },
);
