import { boundedNumber, ConfigError, type NumberRange } from '../contracts/config-error.js';
import {
  MSK_BROKER_INSTANCE_TYPES,
  MSK_EXCLUDED_ZONE_IDS,
  MSK_KAFKA_VERSIONS,
} from '../contracts/msk-offerings.js';
import {
  BATCH_SIZE_RANGE,
  BATCHING_WINDOW_RANGE,
  DEFAULT_SETTINGS,
  minimumKafkaRetentionHours,
  type PipelineSettings,
  PRODUCER_RATE_RANGE,
  type ProvisionedPollers,
  RESTORE_NOTICE_MARGIN_DAYS,
  stackConsumerGroupId,
} from '../contracts/settings.js';

/** Anything that answers `tryGetContext`, as a construct node does. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

/** The settings' reader of one context: each value checked, with the key's name in any error. */
class ContextReader {
  constructor(private readonly context: ContextSource) {}

  given(key: string): boolean {
    return this.context.tryGetContext(key) !== undefined;
  }

  ranged(key: string, fallback: number, range: NumberRange): number {
    const raw = this.context.tryGetContext(key);
    return raw === undefined ? fallback : boundedNumber(`context ${key}`, raw, range);
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    return this.ranged(key, fallback, { min, max, integer: true });
  }

  boolean(key: string, fallback: boolean): boolean {
    const raw = this.context.tryGetContext(key);
    if (raw === undefined) return fallback;
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new ConfigError(`context ${key} must be true or false, got ${JSON.stringify(raw)}`);
  }

  text(key: string, fallback: string, pattern: RegExp, what: string): string {
    const raw = this.context.tryGetContext(key);
    if (raw === undefined) return fallback;
    const value = String(raw).trim();
    if (!pattern.test(value))
      throw new ConfigError(`context ${key} must be ${what}, got ${JSON.stringify(raw)}`);
    return value;
  }

  optionalText(key: string, pattern: RegExp, what: string): string | undefined {
    const raw = this.context.tryGetContext(key);
    return raw === undefined || raw === '' ? undefined : this.text(key, '', pattern, what);
  }

  oneOf(key: string, fallback: string, allowed: readonly string[]): string {
    const raw = this.context.tryGetContext(key);
    if (raw === undefined) return fallback;
    const value = String(raw).trim();
    if (!allowed.includes(value)) {
      throw new ConfigError(
        `context ${key} must be one of ${allowed.join(', ')} (what MSK offers, see contracts/msk-offerings.ts), got ${JSON.stringify(raw)}`,
      );
    }
    return value;
  }

  /** A list from cdk.json (an array) or from `-c key=a,b` (a comma-separated string). */
  list(key: string): string[] {
    const raw = this.context.tryGetContext(key);
    if (raw === undefined || raw === '') return [];
    const items = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
    return items.map((item) => item.trim()).filter(Boolean);
  }

  raw(key: string): unknown {
    return this.context.tryGetContext(key);
  }
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function sqlClientCidrs(read: ContextReader): string[] {
  const cidrs = read.list('sqlClientCidrs');
  for (const cidr of cidrs) {
    const match = IPV4_CIDR.exec(cidr);
    const octets = match?.slice(1, 5).map(Number) ?? [];
    const prefix = Number(match?.[5]);
    if (!match || octets.some((o) => o > 255) || prefix > 32) {
      throw new ConfigError(`context sqlClientCidrs: "${cidr}" is not an IPv4 CIDR such as 10.8.0.0/16`);
    }
    // The database is never opened to the internet, even by configuration.
    if (prefix < 8) {
      throw new ConfigError(
        `context sqlClientCidrs: "${cidr}" is wider than /8; list the networks of your SQL clients`,
      );
    }
  }
  return cidrs;
}

function provisionedPollers(read: ContextReader): ProvisionedPollers | undefined {
  if (!read.given('minimumPollers') && !read.given('maximumPollers')) return undefined;
  if (!read.given('minimumPollers') || !read.given('maximumPollers')) {
    throw new ConfigError('context minimumPollers and maximumPollers go together: set both or neither');
  }
  const result = {
    minimum: read.integer('minimumPollers', 1, 1, 200),
    maximum: read.integer('maximumPollers', 1, 1, 2000),
  };
  if (result.minimum > result.maximum) {
    throw new ConfigError('context minimumPollers must not exceed maximumPollers');
  }
  return result;
}

/** The retention periods CloudWatch Logs accepts. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function logRetentionDays(read: ContextReader): number {
  const days = read.integer('logRetentionDays', DEFAULT_SETTINGS.logs.logRetentionDays, 1, 3653);
  if (!RETENTION_DAYS.includes(days)) {
    throw new ConfigError(
      `context logRetentionDays must be one of ${RETENTION_DAYS.join(', ')}, got ${days}`,
    );
  }
  return days;
}

const ZONE_ID = /^[a-z]{2,4}\d-az\d{1,2}$/;

function availabilityZoneIds(read: ContextReader, zones: number): string[] | undefined {
  const ids = read.list('availabilityZoneIds');
  if (ids.length === 0) return undefined;
  for (const id of ids) {
    if (!ZONE_ID.test(id)) {
      throw new ConfigError(`context availabilityZoneIds: "${id}" is not a zone ID such as use1-az1`);
    }
    if (MSK_EXCLUDED_ZONE_IDS.includes(id)) {
      throw new ConfigError(`context availabilityZoneIds: MSK accepts no client subnets in ${id}`);
    }
  }
  if (ids.length !== zones || new Set(ids).size !== ids.length) {
    throw new ConfigError(
      `context availabilityZoneIds must name ${zones} distinct zones (context zones), got ${ids.join(', ')}`,
    );
  }
  return ids;
}

function reservedConcurrency(read: ContextReader, topicPartitions: number): number | 'none' {
  if (read.raw('aggregatorReservedConcurrency') === 'none') return 'none';
  const reserved = read.integer('aggregatorReservedConcurrency', topicPartitions, 1, 10_000);
  if (reserved < topicPartitions) {
    throw new ConfigError(
      `context aggregatorReservedConcurrency (${reserved}) must be at least topicPartitions (${topicPartitions}), or none`,
    );
  }
  return reserved;
}

function kafkaRetentionHours(read: ContextReader, databaseBackupDays: number): number {
  const least = minimumKafkaRetentionHours(databaseBackupDays);
  const hours = read.integer('kafkaRetentionHours', least, 1, 24 * 3653);
  if (hours < least) {
    throw new ConfigError(
      `context kafkaRetentionHours (${hours}) must be at least ${least}: ` +
        `databaseBackupDays (${databaseBackupDays}) plus ${RESTORE_NOTICE_MARGIN_DAYS} days to notice a loss, ` +
        'so that a restore to the oldest backup can replay the deals since (docs/DEPLOY.md "Kafka retention")',
    );
  }
  return hours;
}

/**
 * Reads the settings from context, the defaults of DEFAULT_SETTINGS for what is not given, failing
 * with the name of any key that is malformed.
 */
export function readSettings(context: ContextSource): PipelineSettings {
  const read = new ContextReader(context);
  const d = DEFAULT_SETTINGS;
  const stackName = read.text('stackName', d.stackName, /^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a stack name');
  const zones = read.integer('zones', d.network.zones, 2, 3) === 3 ? 3 : 2;
  const brokerCount = read.integer('brokerCount', zones, 2, 30);
  // MSK places the same number of brokers in each client subnet, one subnet per zone.
  if (brokerCount % zones !== 0) {
    throw new ConfigError(
      `context brokerCount must be a multiple of ${zones} (the same number in each zone), got ${brokerCount}`,
    );
  }
  const topicPartitions = read.integer('topicPartitions', d.streaming.topicPartitions, 1, 1000);
  const databaseBackupDays = read.integer('databaseBackupDays', d.database.databaseBackupDays, 1, 35);
  const pollers = provisionedPollers(read);
  const acceptOffsetGaps = read.boolean(
    'acceptOffsetGaps',
    pollers !== undefined || d.mapping.acceptOffsetGaps,
  );
  // After a discarded batch the next one starts past the checkpoint: refused, it is discarded in turn.
  if (pollers && !acceptOffsetGaps) {
    throw new ConfigError(
      'context acceptOffsetGaps=false cannot go with minimumPollers/maximumPollers: provisioned mode ' +
        'discards a batch after maxRetryAttempts, and with gaps refused every later batch of the partition ' +
        'would be discarded too (docs/DEPLOY.md, "Batches that keep failing")',
    );
  }
  return {
    stackName,
    network: { zones, availabilityZoneIds: availabilityZoneIds(read, zones) },
    streaming: {
      brokerInstanceType: read.oneOf(
        'brokerInstanceType',
        d.streaming.brokerInstanceType,
        MSK_BROKER_INSTANCE_TYPES,
      ),
      brokerCount,
      brokerVolumeGiB: read.integer('brokerVolumeGiB', d.streaming.brokerVolumeGiB, 1, 16_384),
      kafkaVersion: read.oneOf('kafkaVersion', d.streaming.kafkaVersion, MSK_KAFKA_VERSIONS),
      topic: read.text('topic', d.streaming.topic, /^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name'),
      topicPartitions,
      kafkaRetentionHours: kafkaRetentionHours(read, databaseBackupDays),
    },
    mapping: {
      aggregatorBatchSize: read.ranged(
        'aggregatorBatchSize',
        d.mapping.aggregatorBatchSize,
        BATCH_SIZE_RANGE,
      ),
      aggregatorBatchingWindowSeconds: read.ranged(
        'aggregatorBatchingWindowSeconds',
        d.mapping.aggregatorBatchingWindowSeconds,
        BATCHING_WINDOW_RANGE,
      ),
      aggregatorReservedConcurrency: reservedConcurrency(read, topicPartitions),
      consumerGroupId:
        read.optionalText('consumerGroupId', /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/, 'a consumer group id') ??
        stackConsumerGroupId(stackName),
      provisionedPollers: pollers,
      maxRetryAttempts: read.integer('maxRetryAttempts', d.mapping.maxRetryAttempts, 0, 10_000),
      acceptOffsetGaps,
    },
    producer: {
      producerRatePerSecond: read.ranged(
        'producerRatePerSecond',
        d.producer.producerRatePerSecond,
        PRODUCER_RATE_RANGE,
      ),
      producerDurationSeconds: read.integer(
        'producerDurationSeconds',
        d.producer.producerDurationSeconds,
        1,
        840,
      ),
    },
    database: {
      databaseInstanceType: read.text(
        'databaseInstanceType',
        d.database.databaseInstanceType,
        /^[a-z0-9]+\.[a-z0-9]+$/,
        'an RDS class without "db.", such as t4g.small',
      ),
      databaseStorageGiB: read.integer('databaseStorageGiB', d.database.databaseStorageGiB, 20, 65_536),
      databaseMultiAz: read.boolean('databaseMultiAz', d.database.databaseMultiAz),
      databaseBackupDays,
      sqlClientCidrs: sqlClientCidrs(read),
    },
    alarms: {
      lagAlarmThreshold: read.integer('lagAlarmThreshold', d.alarms.lagAlarmThreshold, 1, 1_000_000_000),
      alarmEmail: read.optionalText('alarmEmail', /^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'an e-mail address'),
    },
    logs: { logRetentionDays: logRetentionDays(read) },
    lifecycle: { destroyOnRemoval: read.boolean('destroyOnRemoval', d.lifecycle.destroyOnRemoval) },
  };
}
