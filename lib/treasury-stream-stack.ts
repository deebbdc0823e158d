import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../contracts/settings.js';
import { Aggregator } from './constructs/aggregator/aggregator.js';
import { Database } from './constructs/database/database.js';
import { Network } from './constructs/network/network.js';
import { Observability } from './constructs/observability/observability.js';
import { Producer } from './constructs/producer/producer.js';
import { Recovery } from './constructs/recovery/recovery.js';
import { Streaming } from './constructs/streaming/streaming.js';
import { readSettings } from './read-context.js';

export interface TreasuryStreamStackProps extends StackProps {
  /**
   * As readSettings gives them. @default read from the stack's context, with the stack's own name as
   * stackName (so that two stacks in one app get two consumer groups)
   */
  readonly settings?: PipelineSettings;
}

/**
 * The whole pipeline: producer → MSK → aggregator → RDS PostgreSQL, with its dashboard and alarms.
 * Environment-agnostic: it synthesizes without credentials and deploys to any account and region.
 * Each construct takes the slices of the settings it uses.
 */
export class TreasuryStreamStack extends Stack {
  private zoneCount = DEFAULT_SETTINGS.network.zones;

  constructor(scope: Construct, id: string, props: TreasuryStreamStackProps = {}) {
    super(scope, id, {
      description: 'treasury-stream: deals through MSK and Lambda into currency positions in RDS PostgreSQL',
      ...props,
    });
    const s =
      props.settings ??
      readSettings({
        tryGetContext: (key) => (key === 'stackName' ? this.stackName : this.node.tryGetContext(key)),
      });
    const { logs, lifecycle } = s;
    this.zoneCount = s.network.zones;
    // Per stack, so that two deployments in one account keep their metrics apart.
    const metricsNamespace = `TreasuryStream/${this.stackName}`;

    // Where a retained cluster keeps its network interfaces (see Streaming).
    const retainApplicationTier = !lifecycle.destroyOnRemoval;
    const network = new Network(this, 'Network', { settings: s.network, logs, retainApplicationTier });
    const streaming = new Streaming(this, 'Streaming', { network, settings: s.streaming, logs, lifecycle });
    const database = new Database(this, 'Database', { network, settings: s.database, logs, lifecycle });
    const producer = new Producer(this, 'Producer', { network, streaming, settings: s.producer, logs });
    const aggregator = new Aggregator(this, 'Aggregator', {
      network,
      streaming,
      database,
      metricsNamespace,
      mapping: s.mapping,
      logs,
      lifecycle,
    });
    const recovery = new Recovery(this, 'Recovery', {
      network,
      streaming,
      database,
      consumerGroupId: s.mapping.consumerGroupId,
      logs,
    });
    const observability = new Observability(this, 'Observability', {
      producer: producer.handler,
      aggregator: aggregator.handler,
      database: database.instance,
      rotationFunctionArns: database.rotationFunctionArns,
      clusterName: streaming.clusterName,
      brokerCount: streaming.brokerCount,
      metricsNamespace,
      alarms: s.alarms,
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
