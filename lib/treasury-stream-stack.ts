import { CfnOutput, Duration, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  aggregatorReservedConcurrency,
  DEFAULT_CONFIG,
  minimumKafkaRetentionHours,
  type PipelineConfig,
  stackConsumerGroupId,
} from '../contracts/settings.js';
import { Aggregator } from './constructs/aggregator/aggregator.js';
import { Database } from './constructs/database/database.js';
import { Network } from './constructs/network/network.js';
import { Observability } from './constructs/observability/observability.js';
import { Producer } from './constructs/producer/producer.js';
import { Recovery } from './constructs/recovery/recovery.js';
import { Streaming } from './constructs/streaming/streaming.js';

export interface TreasuryStreamStackProps extends StackProps {
  /** @default DEFAULT_CONFIG */
  readonly config?: Partial<PipelineConfig>;
}

/**
 * The whole pipeline: producer → MSK → aggregator → RDS PostgreSQL, with its dashboard and alarms.
 * Environment-agnostic: it synthesizes without credentials and deploys to any account and region.
 */
export class TreasuryStreamStack extends Stack {
  private zoneCount = DEFAULT_CONFIG.zoneCount;

  constructor(scope: Construct, id: string, props: TreasuryStreamStackProps = {}) {
    super(scope, id, {
      description: 'treasury-stream: deals through MSK and Lambda into currency positions in RDS PostgreSQL',
      ...props,
    });
    const config: PipelineConfig = { ...DEFAULT_CONFIG, ...props.config };
    this.zoneCount = config.zoneCount;
    // Per stack, so that two deployments in one account keep their metrics apart.
    const metricsNamespace = `TreasuryStream/${this.stackName}`;

    const network = new Network(this, 'Network', {
      flowLogRetentionDays: config.logRetentionDays,
      zoneCount: config.zoneCount,
      availabilityZoneIds: config.availabilityZoneIds,
      // Where a retained cluster keeps its network interfaces (see Streaming).
      retainApplicationTier: !config.destroyOnRemoval,
    });
    const streaming = new Streaming(this, 'Streaming', {
      network,
      topic: config.topic,
      topicPartitions: config.topicPartitions,
      brokerInstanceType: config.brokerInstanceType,
      brokerCount: config.brokerCount,
      brokerVolumeGiB: config.brokerVolumeGiB,
      kafkaVersion: config.kafkaVersion,
      retentionHours: config.kafkaRetentionHours ?? minimumKafkaRetentionHours(config.databaseBackupDays),
      destroyOnRemoval: config.destroyOnRemoval,
      logRetentionDays: config.logRetentionDays,
    });
    const database = new Database(this, 'Database', {
      network,
      instanceType: config.databaseInstanceType,
      storageGiB: config.databaseStorageGiB,
      multiAz: config.databaseMultiAz,
      backupDays: config.databaseBackupDays,
      destroyOnRemoval: config.destroyOnRemoval,
      sqlClientCidrs: config.sqlClientCidrs,
      logRetentionDays: config.logRetentionDays,
    });
    const producer = new Producer(this, 'Producer', {
      network,
      streaming,
      ratePerSecond: config.producerRatePerSecond,
      durationSeconds: config.producerDurationSeconds,
      logRetentionDays: config.logRetentionDays,
    });
    const aggregator = new Aggregator(this, 'Aggregator', {
      network,
      streaming,
      database,
      metricsNamespace,
      consumerGroupId: config.consumerGroupId ?? stackConsumerGroupId(this.stackName),
      reservedConcurrency: aggregatorReservedConcurrency(config),
      batchSize: config.aggregatorBatchSize,
      batchingWindow: Duration.seconds(config.aggregatorBatchingWindowSeconds),
      provisionedPollers: config.provisionedPollers,
      maxRetryAttempts: config.maxRetryAttempts,
      acceptOffsetGaps: config.acceptOffsetGaps,
      destroyOnRemoval: config.destroyOnRemoval,
      logRetentionDays: config.logRetentionDays,
    });
    const recovery = new Recovery(this, 'Recovery', {
      network,
      streaming,
      database,
      consumerGroupId: config.consumerGroupId,
      logRetentionDays: config.logRetentionDays,
    });
    const observability = new Observability(this, 'Observability', {
      producer: producer.handler,
      aggregator: aggregator.handler,
      database: database.instance,
      rotationFunctionArns: database.rotationFunctionArns,
      clusterName: streaming.clusterName,
      brokerCount: streaming.brokerCount,
      metricsNamespace,
      lagAlarmThreshold: config.lagAlarmThreshold,
      alarmEmail: config.alarmEmail,
    });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output(
      'DatabaseEndpoint',
      `${database.instance.dbInstanceEndpointAddress}:${database.instance.dbInstanceEndpointPort}`,
      'PostgreSQL host:port (database "treasury", TLS required)',
    );
    output(
      'DatabaseInstanceId',
      database.instance.instanceIdentifier,
      'RDS instance, for snapshots and the console',
    );
    output('AdminSecretArn', database.adminSecret.secretArn, 'Secret of the database administrator');
    output('AggregatorSecretArn', database.aggregatorSecret.secretArn, "Secret of the aggregator's role");
    output(
      'ReaderSecretArn',
      database.readerSecret.secretArn,
      'Secret of the read-only role for SQL clients',
    );
    output('DashboardUrl', observability.dashboardUrl, 'CloudWatch dashboard');
    output('AlarmTopicArn', observability.alarmTopic.topicArn, 'SNS topic the alarms publish to');
    output('Topic', streaming.topic, 'Kafka topic');
    output('ClusterArn', streaming.clusterArn, 'MSK cluster');
    output(
      'RecoveryFunctionName',
      recovery.handler.function.functionName,
      'Invoke with {} to apply offsets missing behind the mapping (docs/RUNBOOK.md)',
    );
    if (aggregator.failedBatches) {
      output(
        'FailedBatchesBucket',
        aggregator.failedBatches.bucketName,
        'Batches discarded after their retries',
      );
    }
  }

  /**
   * An environment-agnostic stack offers two zones (Fn::GetAZs picks); the production sizing asks
   * for three. Not every account sees three zones in every region (us-west-1 offers most accounts
   * two): there CloudFormation rejects the template at validation, and availabilityZoneIds is the way
   * (docs/DEPLOY.md, Pre-flight).
   */
  override get availabilityZones(): string[] {
    return Array.from({ length: this.zoneCount }, (_, i) => Fn.select(i, Fn.getAzs()));
  }
}
