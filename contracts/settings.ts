import type { NumberRange } from './config-error.js';
import { AGGREGATOR_CONSUMER_GROUP_ID, MSK_MAX_BATCH_SIZE } from './event-source-mapping.js';
import { PRODUCER_RUN_SECONDS } from './producer.js';

/**
 * The deployment's settings, grouped by concern, with their defaults as data (in the way Solutions
 * Constructs keeps its defaults). Each field is named as its CDK context key (`cdk.json` or
 * `-c key=value`), so a setting has one name from docs/DEPLOY.md's table down to the construct that
 * uses it; lib/read-context.ts reads and checks them. The local runtime, the soak and the benchmark
 * take the same defaults and state their deviations beside them (LOCAL_* in their own modules).
 */

export interface NetworkSettings {
  /**
   * Availability zones of the VPC, the brokers and the database standby: 2 (a small bill) or 3 (the
   * production sizing: with 3 brokers the topic gets replication factor 3 and min ISR 2).
   */
  readonly zones: 2 | 3;
  /** Zones by ID (e.g. use1-az1), one per zone; the template then deploys only in their region. */
  readonly availabilityZoneIds?: readonly string[];
}

export interface StreamingSettings {
  /** MSK broker instance type, one of MSK_BROKER_INSTANCE_TYPES. */
  readonly brokerInstanceType: string;
  /** Number of brokers: a multiple of the zone count. Default: the zone count. */
  readonly brokerCount: number;
  /** EBS volume per broker, GiB. */
  readonly brokerVolumeGiB: number;
  /** MSK Kafka version string, one of MSK_KAFKA_VERSIONS. */
  readonly kafkaVersion: string;
  /** The topic the producer writes and the aggregator reads. */
  readonly topic: string;
  readonly topicPartitions: number;
  /**
   * Hours the brokers keep the topic's records (log.retention.hours). At least the database's backup
   * retention plus RESTORE_NOTICE_MARGIN_DAYS, so that after a restore to any point the backups
   * reach, the deals since that point are still in Kafka to be applied again (D3).
   * Default: minimumKafkaRetentionHours(databaseBackupDays).
   */
  readonly kafkaRetentionHours: number;
}

/** Minimum and maximum event pollers of the event source mapping in provisioned mode. */
export interface ProvisionedPollers {
  readonly minimum: number;
  readonly maximum: number;
}

export interface MappingSettings {
  /** Largest batch the event source mapping hands the aggregator. */
  readonly aggregatorBatchSize: number;
  /** Seconds the mapping gathers records before invoking: the tutorial's 2-second micro-batch. */
  readonly aggregatorBatchingWindowSeconds: number;
  /**
   * Concurrency reserved for the aggregator, at least topicPartitions (the mapping runs one invocation
   * per partition at a time, and Lambda cuts pollers when the function is throttled). `none` reserves
   * nothing, for an account whose quota cannot spare it. Default: topicPartitions.
   */
  readonly aggregatorReservedConcurrency: number | 'none';
  /**
   * The aggregator's Kafka consumer group. Lambda requires it unique among all Kafka event sources and
   * fixes it when the mapping is created. Default: stackConsumerGroupId(stackName).
   */
  readonly consumerGroupId: string;
  /** Opt-in provisioned mode, which also enables retry limit, bisect and on-failure destination. */
  readonly provisionedPollers?: ProvisionedPollers;
  /** Retries of a failing batch in provisioned mode before it goes to the failure bucket. */
  readonly maxRetryAttempts: number;
  /**
   * A batch that starts past its partition's checkpoint is applied and the hole recorded in
   * offset_gap, instead of refused (the partition then waits for the recovery, docs/RUNBOOK.md).
   * Provisioned mode needs it: its mapping discards a batch after its retries, and refused, every
   * later batch of the partition would be discarded too. Default: false; true in provisioned mode.
   */
  readonly acceptOffsetGaps: boolean;
}

export interface ProducerSettings {
  /** Deals a second the producer sends, within PRODUCER_RATE_RANGE. */
  readonly producerRatePerSecond: number;
  /** Seconds each once-a-minute producer run lasts. */
  readonly producerDurationSeconds: number;
}

export interface DatabaseSettings {
  /** RDS instance class without the `db.` prefix. */
  readonly databaseInstanceType: string;
  /** Allocated storage, GiB; RDS grows it up to 5× on demand. */
  readonly databaseStorageGiB: number;
  /** A standby in the second zone (doubles the instance cost). */
  readonly databaseMultiAz: boolean;
  /** Days of automated backups. */
  readonly databaseBackupDays: number;
  /** Opt-in: IPv4 CIDRs of SQL clients allowed to port 5432 (over a VPN or peering). */
  readonly sqlClientCidrs: readonly string[];
}

export interface AlarmSettings {
  /** Offset lag (records) above which the lag alarm fires. */
  readonly lagAlarmThreshold: number;
  /** Opt-in: an e-mail address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
}

export interface LogSettings {
  /** Days CloudWatch keeps the functions', brokers' and flow logs. */
  readonly logRetentionDays: number;
}

export interface LifecycleSettings {
  /**
   * Opt-in: delete the database (no final snapshot), its secrets and the cluster with the stack, and
   * turn deletion protection off. Default: snapshot the database, retain cluster and secrets.
   */
  readonly destroyOnRemoval: boolean;
}

export interface PipelineSettings {
  /** The CloudFormation stack's name; two names, two pipelines. */
  readonly stackName: string;
  readonly network: NetworkSettings;
  readonly streaming: StreamingSettings;
  readonly mapping: MappingSettings;
  readonly producer: ProducerSettings;
  readonly database: DatabaseSettings;
  readonly alarms: AlarmSettings;
  readonly logs: LogSettings;
  readonly lifecycle: LifecycleSettings;
}

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

/** The producer's rate, deals per second: above 0, and at most what one producer function can send. */
export const PRODUCER_RATE_RANGE: NumberRange = { min: 0, max: 100_000, integer: false, minExclusive: true };

/** The mapping's batch size: what Lambda accepts for an MSK event source. */
export const BATCH_SIZE_RANGE: NumberRange = { min: 1, max: MSK_MAX_BATCH_SIZE, integer: true };

/** The mapping's batching window, whole seconds as Lambda's MaximumBatchingWindowInSeconds takes. */
export const BATCHING_WINDOW_RANGE: NumberRange = { min: 0, max: 300, integer: true };

const DEFAULT_STACK_NAME = 'TreasuryStream';
const DEFAULT_ZONES = 2;
const DEFAULT_TOPIC_PARTITIONS = 3;
const DEFAULT_BACKUP_DAYS = 7;

/**
 * Every setting's default, the opt-ins as `undefined` (none), so that the keys are data too. Four follow another setting when it is given (lib/read-context.ts):
 * brokerCount the zone count, kafkaRetentionHours the backup days, aggregatorReservedConcurrency the
 * partitions, consumerGroupId the stack's name; acceptOffsetGaps is true in provisioned mode.
 */
export const DEFAULT_SETTINGS: PipelineSettings = {
  stackName: DEFAULT_STACK_NAME,
  network: { zones: DEFAULT_ZONES, availabilityZoneIds: undefined },
  streaming: {
    brokerInstanceType: 'kafka.t3.small',
    brokerCount: DEFAULT_ZONES,
    brokerVolumeGiB: 20,
    kafkaVersion: '3.9.x',
    topic: 'transaction',
    topicPartitions: DEFAULT_TOPIC_PARTITIONS,
    kafkaRetentionHours: minimumKafkaRetentionHours(DEFAULT_BACKUP_DAYS),
  },
  mapping: {
    aggregatorBatchSize: 500,
    aggregatorBatchingWindowSeconds: 2,
    aggregatorReservedConcurrency: DEFAULT_TOPIC_PARTITIONS,
    consumerGroupId: stackConsumerGroupId(DEFAULT_STACK_NAME),
    provisionedPollers: undefined,
    maxRetryAttempts: 10,
    acceptOffsetGaps: false,
  },
  producer: { producerRatePerSecond: 100, producerDurationSeconds: PRODUCER_RUN_SECONDS },
  database: {
    databaseInstanceType: 't4g.micro',
    databaseStorageGiB: 20,
    databaseMultiAz: false,
    databaseBackupDays: DEFAULT_BACKUP_DAYS,
    sqlClientCidrs: [],
  },
  alarms: { lagAlarmThreshold: 10_000, alarmEmail: undefined },
  logs: { logRetentionDays: 30 },
  lifecycle: { destroyOnRemoval: false },
};

/**
 * The mapping the local runtime emulates: the deployment's, but with MSK's largest batch (a local
 * run has one machine's records to drain, not a bill per invocation) and the local consumer group.
 */
export const LOCAL_MAPPING: MappingSettings = {
  ...DEFAULT_SETTINGS.mapping,
  aggregatorBatchSize: MSK_MAX_BATCH_SIZE,
  consumerGroupId: AGGREGATOR_CONSUMER_GROUP_ID,
};

/** The emulated mapping's window may also be a fraction of a second, so that tests run in seconds. */
export const LOCAL_WINDOW_RANGE: NumberRange = { ...BATCHING_WINDOW_RANGE, integer: false };

/** What the aggregator reserves: a number, or undefined for `none`. */
export function reservedConcurrencyOf(mapping: MappingSettings): number | undefined {
  const given = mapping.aggregatorReservedConcurrency;
  return given === 'none' ? undefined : given;
}
