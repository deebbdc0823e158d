import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { recoveryGroupId } from '../../../contracts/event-source-mapping.js';
import { recoveryFunction } from '../../../contracts/functions.js';
import type { LogSettings } from '../../../contracts/settings.js';
import { definedFunctionProps, PipelineFunction } from '../common/pipeline-function.js';
import { type IPipelineDatabase, LAMBDA_CA_BUNDLE } from '../database/database.js';
import type { IPipelineNetwork } from '../network/network.js';
import type { IPipelineTopic } from '../streaming/streaming.js';

export interface RecoveryProps {
  readonly network: IPipelineNetwork;
  readonly streaming: IPipelineTopic;
  readonly database: IPipelineDatabase;
  /** The mapping's consumer group, whose committed offsets the recovery reads. */
  readonly consumerGroupId: string;
  readonly logs: LogSettings;
}

/**
 * The recovery (docs/RUNBOOK.md) as a function an operator invokes from the console or the CLI: the
 * code of `npm run recover`, in the application subnets, so that it reaches the brokers and the
 * database without a bastion. It writes as the aggregator (apply_batch and the two recovery functions
 * of the schema), reads the topic with a group of its own, and only reads the mapping's group.
 */
export class Recovery extends Construct {
  public readonly handler: PipelineFunction;

  constructor(scope: Construct, id: string, props: RecoveryProps) {
    super(scope, id);
    const { network, streaming, database } = props;
    const mappingGroup = props.consumerGroupId;

    this.handler = new PipelineFunction(this, 'Handler', {
      ...definedFunctionProps(recoveryFunction(), {
        DATABASE_SECRET_ARN: database.aggregatorSecret.secretArn,
        MSK_CLUSTER_ARN: streaming.clusterArn,
        TOPIC: streaming.topic,
        CONSUMER_GROUP_ID: mappingGroup,
        NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
      }),
      vpc: network.vpc,
      vpcSubnets: network.applicationSubnets,
      logRetentionDays: props.logs.logRetentionDays,
    });
    const fn = this.handler.function;
    database.connections.allowDefaultPortFrom(this.handler, 'Recovery applies missing offsets');
    streaming.connections.allowDefaultPortFrom(this.handler, 'Recovery reads the topic (SASL/IAM over TLS)');
    network.allowEndpointsFrom(this.handler);
    database.aggregatorSecret.grantRead(fn);

    // The MSK IAM table's required actions: ReadData needs AlterGroup on the group that reads, which
    // is the recovery's own; the mapping's group is only described (its committed offsets).
    const grant = (actions: string[], resourceArns: string[]) =>
      iam.Grant.addToPrincipal({ grantee: fn, actions, resourceArns });
    grant(['kafka:GetBootstrapBrokers', 'kafka-cluster:Connect'], [streaming.clusterArn]);
    grant(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], [streaming.topicArn(streaming.topic)]);
    grant(
      ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
      [streaming.groupArn(recoveryGroupId(mappingGroup))],
    );
    grant(['kafka-cluster:DescribeGroup'], [streaming.groupArn(mappingGroup)]);
  }
}
