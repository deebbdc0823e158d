import { type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { aggregatorFunction } from '../../../contracts/functions.js';
import {
  type LifecycleSettings,
  type LogSettings,
  type MappingSettings,
  reservedConcurrencyOf,
} from '../../../contracts/settings.js';
import { acknowledgeCheckovFindings, acknowledgeGuardFindings } from '../common/checker-findings.js';
import { definedFunctionProps, PipelineFunction } from '../common/pipeline-function.js';
import { type IPipelineDatabase, LAMBDA_CA_BUNDLE } from '../database/database.js';
import type { IPipelineNetwork } from '../network/network.js';
import type { IPipelineTopic } from '../streaming/streaming.js';

export interface AggregatorProps {
  readonly network: IPipelineNetwork;
  readonly streaming: IPipelineTopic;
  readonly database: IPipelineDatabase;
  /** The CloudWatch namespace of the aggregator's EMF metrics. */
  readonly metricsNamespace: string;
  /**
   * The event source mapping: batch size and window, consumer group (unique among the account's
   * Kafka event sources, fixed at creation), reserved concurrency (at least the topic's partitions,
   * since the mapping runs one invocation per partition and cuts its pollers when the function is
   * throttled), provisioned mode (the only mode where Lambda offers a retry limit, bisection and an
   * on-failure destination for Kafka) and whether an offset gap is applied or refused.
   */
  readonly mapping: MappingSettings;
  readonly logs: LogSettings;
  /** destroyOnRemoval: delete the failure bucket and its objects with the stack. */
  readonly lifecycle: LifecycleSettings;
}

/**
 * An on-failure destination that may only add objects to the bucket (the `S3OnFailureDestination`
 * of aws-lambda-event-sources would grant read, write and delete).
 */
class FailedBatchBucket implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(_mapping: lambda.IEventSourceMapping, target: lambda.IFunction): lambda.DlqDestinationConfig {
    target.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    target.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    return { destination: this.bucket.bucketArn };
  }
}

/**
 * The aggregator handler fed by an MSK event source mapping on the topic. It writes through the
 * aggregator's own database role, whose only privilege is EXECUTE on apply_batch.
 */
export class Aggregator extends Construct {
  public readonly handler: PipelineFunction;
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** Batches discarded after their retries, in provisioned mode only. */
  public readonly failedBatches?: s3.Bucket;

  constructor(scope: Construct, id: string, props: AggregatorProps) {
    super(scope, id);
    const { network, streaming, database, mapping } = props;
    const { consumerGroupId, acceptOffsetGaps, provisionedPollers } = mapping;
    if (provisionedPollers && !acceptOffsetGaps) {
      throw new Error(
        'acceptOffsetGaps false with provisionedPollers: the mapping discards a batch after its retries, and ' +
          'with gaps refused every later batch of its partition would be discarded too',
      );
    }

    this.handler = new PipelineFunction(this, 'Handler', {
      ...definedFunctionProps(aggregatorFunction({ acceptOffsetGaps }), {
        DATABASE_SECRET_ARN: database.aggregatorSecret.secretArn,
        METRICS_NAMESPACE: props.metricsNamespace,
        NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
      }),
      vpc: network.vpc,
      vpcSubnets: network.applicationSubnets,
      logRetentionDays: props.logs.logRetentionDays,
      reservedConcurrency: reservedConcurrencyOf(mapping),
    });
    const fn = this.handler.function;
    // New code only on the schema it was written for: an update migrates first, then changes the code.
    // A rollback brings the code back and keeps the schema, and each migration keeps the previous
    // release's call of apply_batch working (db/migrations/1764000000011).
    fn.node.addDependency(database.schema);
    database.connections.allowDefaultPortFrom(this.handler, 'Aggregator writes positions');
    network.allowEndpointsFrom(this.handler);
    database.aggregatorSecret.grantRead(fn);
    streaming.grantConsume(fn, streaming.topic, consumerGroupId);
    // The mapping creates its network interfaces in the cluster's subnets with the function's role;
    // these two Describe calls have no resource-level permissions.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups'],
        resources: ['*'],
      }),
    );

    let failureHandling: Partial<lambda.EventSourceMappingOptions> = {};
    if (provisionedPollers) {
      this.failedBatches = new s3.Bucket(this, 'FailedBatches', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        versioned: false,
        lifecycleRules: [{ expiration: Duration.days(90) }],
        removalPolicy: props.lifecycle.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        autoDeleteObjects: false,
      });
      // Lambda writes to the bucket from the cluster's VPC.
      network.addS3GatewayEndpoint();
      failureHandling = {
        provisionedPollerConfig: {
          minimumPollers: provisionedPollers.minimum,
          maximumPollers: provisionedPollers.maximum,
        },
        retryAttempts: mapping.maxRetryAttempts,
        // A batch that fails in the database for one record's sake is halved until that record
        // stands alone; the rest commits.
        bisectBatchOnError: true,
        onFailure: new FailedBatchBucket(this.failedBatches),
      };
      const accessLogs =
        'Only the Lambda service writes here (failed batches); CloudTrail records access, and a second ' +
        'bucket for access logs would log one writer.';
      const writeOnce =
        'Each failed batch is written once under a name of its own and expires after 90 days: nothing ' +
        'is overwritten for versioning or Object Lock to keep, and nothing reads it but an operator.';
      Validations.of(this.failedBatches).acknowledge({ id: 'AwsSolutions-S1', reason: accessLogs });
      acknowledgeGuardFindings(
        this.failedBatches,
        { id: 's3_bucket_logging_enabled_check', reason: accessLogs },
        { id: 's3_bucket_versioning_enabled_check', reason: writeOnce },
        { id: 's3_bucket_object_lock_enabled_check', reason: writeOnce },
        {
          id: 's3_event_notifications_enabled_check',
          reason:
            'The failure is already signalled: the aggregator errors alarm fires before a batch lands here.',
        },
        {
          id: 's3_bucket_default_encryption_kms_check',
          reason:
            'S3-managed encryption: Lambda writes here as the function\u2019s role, and a KMS key would need grants for it.',
        },
      );
      acknowledgeCheckovFindings(
        this.failedBatches,
        { id: 'CKV_AWS_18', reason: accessLogs },
        { id: 'CKV_AWS_21', reason: writeOnce },
      );
      const bucketId = Stack.of(this).getLogicalId(this.failedBatches.node.defaultChild as CfnResource);
      Validations.of(fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`,
        reason: 'Lambda names the failed-batch objects; PutObject is on this one bucket only.',
      });
    }

    this.eventSourceMapping = fn.addEventSourceMapping('TransactionTopic', {
      eventSourceArn: streaming.clusterArn,
      kafkaTopic: streaming.topic,
      kafkaConsumerGroupId: consumerGroupId,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: mapping.aggregatorBatchSize,
      // Seconds of deals per call (2 by default): few enough invocations and database transactions
      // per second, positions still current to within seconds.
      maxBatchingWindow: Duration.seconds(mapping.aggregatorBatchingWindowSeconds),
      ...failureHandling,
    });
    // The mapping starts reading once the topic exists and the database accepts the aggregator's role.
    this.eventSourceMapping.node.addDependency(
      streaming.topicResource,
      database.schema,
      this.handler.securityGroup,
    );

    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ec2:DescribeVpcs and ec2:DescribeSecurityGroups support no resource-level permissions; the ' +
        'event source mapping needs them to attach to the cluster subnets.',
    });
  }
}
