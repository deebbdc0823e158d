import { MSK_MAX_BATCH_SIZE } from './event-source-mapping.js';
import { MSK_BROKER_INSTANCE_TYPES, MSK_EXCLUDED_ZONE_IDS, MSK_KAFKA_VERSIONS } from './msk-offerings.js';
import { PRODUCER_RUN_SECONDS } from './producer.js';

/**
 * The deployment's settings: typed, with defaults sized for a small bill, read from CDK context
 * (`cdk.json` or `-c key=value`). Every key is listed in docs/DEPLOY.md.
 */

/** Minimum and maximum event pollers of the event source mapping in provisioned mode. */
export interface ProvisionedPollers {
  readonly minimum: number;
  readonly maximum: number;
}

export interface PipelineConfig {
  /**
   * Availability zones of the VPC, the brokers and the database standby: 2 (a small bill) or 3 (the
   * production sizing: with 3 brokers the topic gets replication factor 3 and min ISR 2). @default 2
   */
  readonly zoneCount: 2 | 3;
  /**
   * Zones by ID (e.g. use1-az1), one per zone; the template then deploys only in their region.
   * @default none: us-east-1 takes US_EAST_1_ZONE_IDS, other regions the first zones by name
   */
  readonly availabilityZoneIds?: readonly string[];
  /** MSK broker instance type, one of MSK_BROKER_INSTANCE_TYPES. @default kafka.t3.small */
  readonly brokerInstanceType: string;
  /** Number of brokers: a multiple of the zone count. @default the zone count */
  readonly brokerCount: number;
  /** EBS volume per broker, GiB. @default 20 */
  readonly brokerVolumeGiB: number;
  /** MSK Kafka version string, one of MSK_KAFKA_VERSIONS. @default 3.9.x */
  readonly kafkaVersion: string;
  /** The topic the producer writes and the aggregator reads. @default transaction */
  readonly topic: string;
  /** Partitions of the topic. @default 3 */
  readonly topicPartitions: number;
  /** RDS instance class without the `db.` prefix. @default t4g.micro */
  readonly databaseInstanceType: string;
  /** Allocated storage, GiB; RDS grows it up to 5× on demand. @default 20 */
  readonly databaseStorageGiB: number;
  /** A standby in the second zone (doubles the instance cost). @default false */
  readonly databaseMultiAz: boolean;
  /** Days of automated backups. @default 7 */
  readonly databaseBackupDays: number;
  /**
   * Hours the brokers keep the topic's records (log.retention.hours). At least the database's backup
   * retention plus RESTORE_NOTICE_MARGIN_DAYS, so that after a restore to any point the backups
   * reach, the deals since that point are still in Kafka to be applied again (D3).
   * @default (databaseBackupDays + RESTORE_NOTICE_MARGIN_DAYS) × 24
   */
  readonly kafkaRetentionHours?: number;
  /**
   * Opt-in: delete the database (no final snapshot), its secrets and the cluster with the stack, and
   * turn deletion protection off. @default false: snapshot the database, retain cluster and secrets.
   */
  readonly destroyOnRemoval: boolean;
  /** Opt-in: IPv4 CIDRs of SQL clients allowed to port 5432 (over a VPN or peering). @default none */
  readonly sqlClientCidrs: readonly string[];
  /** Deals a second the producer sends. @default 100 */
  readonly producerRatePerSecond: number;
  /** Seconds each once-a-minute producer run lasts. @default 55 */
  readonly producerDurationSeconds: number;
  /** Largest batch the event source mapping hands the aggregator. @default 500 */
  readonly aggregatorBatchSize: number;
  /**
   * Concurrency reserved for the aggregator, at least topicPartitions (the mapping runs one invocation
   * per partition at a time, and Lambda cuts pollers when the function is throttled). `none` reserves
   * nothing, for an account whose quota cannot spare it (Lambda keeps 100 unreserved).
   * @default topicPartitions
   */
  readonly aggregatorReservedConcurrency?: number | 'none';
  /** Seconds the mapping gathers records before invoking. @default 2 */
  readonly aggregatorBatchingWindowSeconds: number;
  /**
   * The aggregator's Kafka consumer group. Lambda requires it unique among all Kafka event sources and
   * fixes it when the mapping is created. @default `<stackName>-aggregator` (stackConsumerGroupId), so
   * that two stacks in one account never share one
   */
  readonly consumerGroupId?: string;
  /** Opt-in provisioned mode, which also enables retry limit, bisect and on-failure destination. @default none */
  readonly provisionedPollers?: ProvisionedPollers;
  /** Retries of a failing batch in provisioned mode before it goes to the failure bucket. @default 10 */
  readonly maxRetryAttempts: number;
  /**
   * A batch that starts past its partition's checkpoint is applied and the hole recorded in
   * offset_gap, instead of refused (the partition then waits for the recovery, docs/RUNBOOK.md).
   * Provisioned mode needs it: its mapping discards a batch after its retries, and refused, every
   * later batch of the partition would be discarded too. @default false; true in provisioned mode,
   * where false is refused
   */
  readonly acceptOffsetGaps: boolean;
  /** Offset lag (records) above which the lag alarm fires. @default 10000 */
  readonly lagAlarmThreshold: number;
  /** Opt-in: an e-mail address subscribed to the alarm topic. @default none */
  readonly alarmEmail?: string;
  /** Days CloudWatch keeps the functions', brokers' and flow logs. @default 30 */
  readonly logRetentionDays: number;
}

export const DEFAULT_CONFIG: PipelineConfig = {
  zoneCount: 2,
  brokerInstanceType: 'kafka.t3.small',
  brokerCount: 2,
  brokerVolumeGiB: 20,
  kafkaVersion: '3.9.x',
  topic: 'transaction',
  topicPartitions: 3,
  databaseInstanceType: 't4g.micro',
  databaseStorageGiB: 20,
  databaseMultiAz: false,
  databaseBackupDays: 7,
  destroyOnRemoval: false,
  sqlClientCidrs: [],
  producerRatePerSecond: 100,
  producerDurationSeconds: PRODUCER_RUN_SECONDS,
  aggregatorBatchSize: 500,
  aggregatorBatchingWindowSeconds: 2,
  maxRetryAttempts: 10,
  acceptOffsetGaps: false,
  lagAlarmThreshold: 10_000,
  logRetentionDays: 30,
};

/**
 * Days allowed, beyond the oldest point the database backups can restore, to notice a loss and start
 * the restore: a long weekend. The topic must still hold the deals since the restore point then.
 */
export const RESTORE_NOTICE_MARGIN_DAYS = 3;

/** The least Kafka retention, in hours, that covers a restore to the oldest backup point (D3). */
export function minimumKafkaRetentionHours(databaseBackupDays: number): number {
  return (databaseBackupDays + RESTORE_NOTICE_MARGIN_DAYS) * 24;
}

/** The default consumer group of a stack's mapping: one per stack (N17). */
export function stackConsumerGroupId(stackName: string): string {
  return `${stackName}-aggregator`;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** Anything that answers `tryGetContext`, as a construct node does. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

function integer(context: ContextSource, key: string, fallback: number, min: number, max: number): number {
  const raw = context.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `context ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function optionalInteger(context: ContextSource, key: string, min: number, max: number): number | undefined {
  return context.tryGetContext(key) === undefined ? undefined : integer(context, key, min, min, max);
}

function positiveNumber(context: ContextSource, key: string, fallback: number, max: number): number {
  const raw = context.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new ConfigurationError(
      `context ${key} must be a number above 0 and up to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function boolean(context: ContextSource, key: string, fallback: boolean): boolean {
  const raw = context.tryGetContext(key);
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new ConfigurationError(`context ${key} must be true or false, got ${JSON.stringify(raw)}`);
}

function text(context: ContextSource, key: string, fallback: string, pattern: RegExp, what: string): string {
  const raw = context.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = String(raw).trim();
  if (!pattern.test(value))
    throw new ConfigurationError(`context ${key} must be ${what}, got ${JSON.stringify(raw)}`);
  return value;
}

function optionalText(
  context: ContextSource,
  key: string,
  pattern: RegExp,
  what: string,
): string | undefined {
  const raw = context.tryGetContext(key);
  if (raw === undefined || raw === '') return undefined;
  return text(context, key, '', pattern, what);
}

/** A list from cdk.json (an array) or from `-c key=a,b` (a comma-separated string). */
function list(context: ContextSource, key: string): string[] {
  const raw = context.tryGetContext(key);
  if (raw === undefined || raw === '') return [];
  const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  return items.map((item) => item.trim()).filter(Boolean);
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function sqlClientCidrs(context: ContextSource): string[] {
  const cidrs = list(context, 'sqlClientCidrs');
  for (const cidr of cidrs) {
    const match = IPV4_CIDR.exec(cidr);
    const octets = match?.slice(1, 5).map(Number) ?? [];
    const prefix = Number(match?.[5]);
    if (!match || octets.some((o) => o > 255) || prefix > 32) {
      throw new ConfigurationError(
        `context sqlClientCidrs: "${cidr}" is not an IPv4 CIDR such as 10.8.0.0/16`,
      );
    }
    // The database is never opened to the internet, even by configuration.
    if (prefix < 8) {
      throw new ConfigurationError(
        `context sqlClientCidrs: "${cidr}" is wider than /8; list the networks of your SQL clients`,
      );
    }
  }
  return cidrs;
}

function provisionedPollers(context: ContextSource): ProvisionedPollers | undefined {
  const minimum = context.tryGetContext('minimumPollers');
  const maximum = context.tryGetContext('maximumPollers');
  if (minimum === undefined && maximum === undefined) return undefined;
  if (minimum === undefined || maximum === undefined) {
    throw new ConfigurationError(
      'context minimumPollers and maximumPollers go together: set both or neither',
    );
  }
  const result = {
    minimum: integer(context, 'minimumPollers', 1, 1, 200),
    maximum: integer(context, 'maximumPollers', 1, 1, 2000),
  };
  if (result.minimum > result.maximum) {
    throw new ConfigurationError('context minimumPollers must not exceed maximumPollers');
  }
  return result;
}

/** The retention periods CloudWatch Logs accepts. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function logRetentionDays(context: ContextSource, fallback: number): number {
  const days = integer(context, 'logRetentionDays', fallback, 1, 3653);
  if (!RETENTION_DAYS.includes(days)) {
    throw new ConfigurationError(
      `context logRetentionDays must be one of ${RETENTION_DAYS.join(', ')}, got ${days}`,
    );
  }
  return days;
}

function oneOf(context: ContextSource, key: string, fallback: string, allowed: readonly string[]): string {
  const raw = context.tryGetContext(key);
  if (raw === undefined) return fallback;
  const value = String(raw).trim();
  if (!allowed.includes(value)) {
    throw new ConfigurationError(
      `context ${key} must be one of ${allowed.join(', ')} (what MSK offers, see contracts/msk-offerings.ts), got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function zoneCount(context: ContextSource): 2 | 3 {
  const count = integer(context, 'zones', DEFAULT_CONFIG.zoneCount, 2, 3);
  return count === 3 ? 3 : 2;
}

const ZONE_ID = /^[a-z]{2,4}\d-az\d{1,2}$/;

function availabilityZoneIds(context: ContextSource, zones: number): string[] | undefined {
  const ids = list(context, 'availabilityZoneIds');
  if (ids.length === 0) return undefined;
  for (const id of ids) {
    if (!ZONE_ID.test(id)) {
      throw new ConfigurationError(`context availabilityZoneIds: "${id}" is not a zone ID such as use1-az1`);
    }
    if (MSK_EXCLUDED_ZONE_IDS.includes(id)) {
      throw new ConfigurationError(`context availabilityZoneIds: MSK accepts no client subnets in ${id}`);
    }
  }
  if (ids.length !== zones || new Set(ids).size !== ids.length) {
    throw new ConfigurationError(
      `context availabilityZoneIds must name ${zones} distinct zones (context zones), got ${ids.join(', ')}`,
    );
  }
  return ids;
}

/** The aggregator's reserved concurrency as given: a number, `none`, or undefined (topicPartitions). */
function reservedConcurrency(context: ContextSource): number | 'none' | undefined {
  const raw = context.tryGetContext('aggregatorReservedConcurrency');
  if (raw === undefined || raw === 'none') return raw;
  return integer(context, 'aggregatorReservedConcurrency', 1, 1, 10_000);
}

/** What the aggregator reserves: topicPartitions by default, nothing for `none`. */
export function aggregatorReservedConcurrency(config: PipelineConfig): number | undefined {
  const given = config.aggregatorReservedConcurrency;
  return given === 'none' ? undefined : (given ?? config.topicPartitions);
}

/** Reads the configuration from context, failing with the name of any key that is malformed. */
export function readConfig(context: ContextSource): PipelineConfig {
  const d = DEFAULT_CONFIG;
  const zones = zoneCount(context);
  const config: PipelineConfig = {
    zoneCount: zones,
    availabilityZoneIds: availabilityZoneIds(context, zones),
    brokerInstanceType: oneOf(context, 'brokerInstanceType', d.brokerInstanceType, MSK_BROKER_INSTANCE_TYPES),
    brokerCount: integer(context, 'brokerCount', zones, 2, 30),
    brokerVolumeGiB: integer(context, 'brokerVolumeGiB', d.brokerVolumeGiB, 1, 16_384),
    kafkaVersion: oneOf(context, 'kafkaVersion', d.kafkaVersion, MSK_KAFKA_VERSIONS),
    topic: text(context, 'topic', d.topic, /^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name'),
    topicPartitions: integer(context, 'topicPartitions', d.topicPartitions, 1, 1000),
    databaseInstanceType: text(
      context,
      'databaseInstanceType',
      d.databaseInstanceType,
      /^[a-z0-9]+\.[a-z0-9]+$/,
      'an RDS class without "db.", such as t4g.small',
    ),
    databaseStorageGiB: integer(context, 'databaseStorageGiB', d.databaseStorageGiB, 20, 65_536),
    databaseMultiAz: boolean(context, 'databaseMultiAz', d.databaseMultiAz),
    databaseBackupDays: integer(context, 'databaseBackupDays', d.databaseBackupDays, 1, 35),
    kafkaRetentionHours: optionalInteger(context, 'kafkaRetentionHours', 1, 24 * 3653),
    destroyOnRemoval: boolean(context, 'destroyOnRemoval', d.destroyOnRemoval),
    sqlClientCidrs: sqlClientCidrs(context),
    producerRatePerSecond: positiveNumber(context, 'producerRatePerSecond', d.producerRatePerSecond, 100_000),
    producerDurationSeconds: integer(context, 'producerDurationSeconds', d.producerDurationSeconds, 1, 840),
    aggregatorBatchSize: integer(
      context,
      'aggregatorBatchSize',
      d.aggregatorBatchSize,
      1,
      MSK_MAX_BATCH_SIZE,
    ),
    aggregatorBatchingWindowSeconds: integer(
      context,
      'aggregatorBatchingWindowSeconds',
      d.aggregatorBatchingWindowSeconds,
      0,
      300,
    ),
    aggregatorReservedConcurrency: reservedConcurrency(context),
    consumerGroupId: optionalText(
      context,
      'consumerGroupId',
      /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/,
      'a consumer group id',
    ),
    provisionedPollers: provisionedPollers(context),
    maxRetryAttempts: integer(context, 'maxRetryAttempts', d.maxRetryAttempts, 0, 10_000),
    acceptOffsetGaps: boolean(
      context,
      'acceptOffsetGaps',
      context.tryGetContext('minimumPollers') === undefined ? d.acceptOffsetGaps : true,
    ),
    lagAlarmThreshold: integer(context, 'lagAlarmThreshold', d.lagAlarmThreshold, 1, 1_000_000_000),
    alarmEmail: optionalText(context, 'alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address'),
    logRetentionDays: logRetentionDays(context, d.logRetentionDays),
  };
  if (
    typeof config.aggregatorReservedConcurrency === 'number' &&
    config.aggregatorReservedConcurrency < config.topicPartitions
  ) {
    throw new ConfigurationError(
      `context aggregatorReservedConcurrency (${config.aggregatorReservedConcurrency}) must be at least ` +
        `topicPartitions (${config.topicPartitions}), or none`,
    );
  }
  const leastRetention = minimumKafkaRetentionHours(config.databaseBackupDays);
  if (config.kafkaRetentionHours !== undefined && config.kafkaRetentionHours < leastRetention) {
    throw new ConfigurationError(
      `context kafkaRetentionHours (${config.kafkaRetentionHours}) must be at least ${leastRetention}: ` +
        `databaseBackupDays (${config.databaseBackupDays}) plus ${RESTORE_NOTICE_MARGIN_DAYS} days to notice a loss, ` +
        'so that a restore to the oldest backup can replay the deals since (docs/DEPLOY.md "Kafka retention")',
    );
  }
  // After a discarded batch the next one starts past the checkpoint: refused, it is discarded in turn.
  if (config.provisionedPollers && !config.acceptOffsetGaps) {
    throw new ConfigurationError(
      'context acceptOffsetGaps=false cannot go with minimumPollers/maximumPollers: provisioned mode ' +
        'discards a batch after maxRetryAttempts, and with gaps refused every later batch of the partition ' +
        'would be discarded too (docs/DEPLOY.md, "Batches that keep failing")',
    );
  }
  // MSK places the same number of brokers in each client subnet, one subnet per zone.
  if (config.brokerCount % zones !== 0) {
    throw new ConfigurationError(
      `context brokerCount must be a multiple of ${zones} (the same number in each zone), got ${config.brokerCount}`,
    );
  }
  return config;
}
