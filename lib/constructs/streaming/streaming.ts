import { ArnFormat, type CustomResource, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct, type IDependable } from 'constructs';
import { topicSetupFunction } from '../../../contracts/functions.js';
import type { LifecycleSettings, LogSettings, StreamingSettings } from '../../../contracts/settings.js';
import { durabilitySettings, minInsyncReplicasFor } from '../../../contracts/topic.js';
import { acknowledgeLogGroupFindings } from '../common/checker-findings.js';
import { functionBackedResource } from '../common/function-backed-resource.js';
import { denyGrantsOutsideAwsServices } from '../common/key-policy.js';
import { definedFunctionProps, PipelineFunction } from '../common/pipeline-function.js';
import { replacementSafeName } from '../common/replacement-safe-name.js';
import type { IPipelineNetwork } from '../network/network.js';
import { brokerConfiguration, clusterReplacementProperties } from './cluster-parts.js';

/** The port of the brokers' SASL/IAM listener over TLS. */
export const IAM_BROKER_PORT = 9098;

export interface StreamingProps {
  readonly network: IPipelineNetwork;
  /** The brokers, the topic created in the cluster, and how long it keeps records. */
  readonly settings: StreamingSettings;
  /** How long the broker and topic-setup logs are kept. */
  readonly logs: LogSettings;
  /**
   * destroyOnRemoval: delete the cluster with the stack instead of retaining it (with its key, logs,
   * configuration and broker security group; the Network retains the subnets it sits in).
   */
  readonly lifecycle: LifecycleSettings;
}

/** What the pipeline's functions use of the cluster and its topic. */
export interface IPipelineTopic extends ec2.IConnectable {
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly brokerCount: number;
  readonly topic: string;
  /** The custom resource that creates the topic: what reads or writes it depends on it. */
  readonly topicResource: IDependable;
  topicArn(topic: string): string;
  groupArn(group: string): string;
  grantProduce(grantee: iam.IGrantable, topic: string): void;
  grantConsume(grantee: iam.IGrantable, topic: string, group: string): void;
}

/**
 * An MSK provisioned cluster reached only with IAM over TLS, encrypted at rest with its own key,
 * its broker logs in CloudWatch, and the pipeline's topic created in it by a custom resource.
 */
export class Streaming extends Construct implements IPipelineTopic {
  public readonly clusterArn: string;
  public readonly clusterName: string;
  public readonly brokerCount: number;
  public readonly topic: string;
  public readonly connections: ec2.Connections;
  /** The custom resource that creates the topic: what reads or writes it depends on it. */
  public readonly topicResource: CustomResource;
  private readonly clusterUuid: string;

  constructor(scope: Construct, id: string, props: StreamingProps) {
    super(scope, id);
    const { network, settings } = props;
    this.brokerCount = settings.brokerCount;
    this.topic = settings.topic;
    const removalPolicy = props.lifecycle.destroyOnRemoval ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const securityGroup = new ec2.SecurityGroup(this, 'BrokerSecurityGroup', {
      vpc: network.vpc,
      description: 'MSK brokers, and the event source mapping pollers that Lambda runs in this group',
      allowAllOutbound: true,
    });
    // A retained cluster keeps its network interfaces in this group: it cannot be deleted before it.
    securityGroup.applyRemovalPolicy(removalPolicy);
    this.connections = new ec2.Connections({
      securityGroups: [securityGroup],
      defaultPort: ec2.Port.tcp(IAM_BROKER_PORT),
    });
    // The MSK event source mapping places its pollers in the cluster's subnets with the cluster's
    // security group, so members of the group must reach each other.
    // (Ingress only: the group already allows all outbound traffic.)
    securityGroup.addIngressRule(
      securityGroup,
      ec2.Port.allTcp(),
      'Brokers and the event source mapping pollers within this group',
    );
    // The pollers reach Lambda and STS through the endpoints. The brokers' group allows all outbound
    // traffic, so only the endpoints' side needs a rule: hence the group as a bare peer.
    network.allowEndpointsFrom(ec2.Peer.securityGroupId(securityGroup.securityGroupId));

    const key = new kms.Key(this, 'DataKey', {
      description: 'Encrypts the MSK broker volumes',
      enableKeyRotation: true,
      removalPolicy,
    });
    denyGrantsOutsideAwsServices(key);
    // Kept with a kept cluster, which goes on writing to it.
    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: props.logs.logRetentionDays as logs.RetentionDays,
      removalPolicy,
    });
    acknowledgeLogGroupFindings(brokerLogs);

    // The version string CloudFormation takes ('3.9.x.kraft' would choose KRaft metadata mode
    // instead of ZooKeeper; see docs/DEPLOY.md).
    const kafkaVersion = settings.kafkaVersion;
    const replicationFactor = Math.min(3, this.brokerCount);
    const configuration = brokerConfiguration(
      this,
      replicationFactor,
      settings.kafkaRetentionHours,
      removalPolicy,
    );

    const clientSubnets = network.vpc.selectSubnets(network.applicationSubnets).subnets;
    const encryptionInfo: msk.CfnCluster.EncryptionInfoProperty = {
      encryptionAtRest: { dataVolumeKmsKeyId: key.keyArn },
      encryptionInTransit: { clientBroker: 'TLS', inCluster: true },
    };
    this.clusterName = replacementSafeName(this, () =>
      clusterReplacementProperties(cluster, clientSubnets, securityGroup),
    );
    const cluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: this.clusterName,
      kafkaVersion,
      numberOfBrokerNodes: this.brokerCount,
      brokerNodeGroupInfo: {
        instanceType: settings.brokerInstanceType,
        clientSubnets: clientSubnets.map((subnet) => subnet.subnetId),
        securityGroups: [securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: settings.brokerVolumeGiB } },
      },
      configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
      clientAuthentication: {
        sasl: { iam: { enabled: true } },
        unauthenticated: { enabled: false },
      },
      encryptionInfo,
      loggingInfo: {
        brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
      },
      enhancedMonitoring: 'DEFAULT',
    });
    cluster.applyRemovalPolicy(removalPolicy);
    this.clusterArn = cluster.attrArn;
    // arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>; topics and groups reuse name/uuid.
    this.clusterUuid = Fn.select(2, Fn.split('/', cluster.attrArn));

    this.topicResource = this.createTopic(network, props, cluster, securityGroup, replicationFactor);
  }

  /** The ARN of a topic of this cluster, for IAM. */
  topicArn(topic: string): string {
    return this.kafkaArn('topic', topic);
  }

  /** The ARN of a consumer group of this cluster, for IAM. */
  groupArn(group: string): string {
    return this.kafkaArn('group', group);
  }

  /** Connect, bootstrap and write idempotently to the topic. */
  grantProduce(grantee: iam.IGrantable, topic: string): void {
    this.grantBootstrap(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
      resourceArns: [this.clusterArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
      resourceArns: [this.topicArn(topic)],
    });
  }

  /**
   * What the MSK event source mapping needs from the function's role: the cluster's brokers and
   * configuration, the topic's records and the group's offsets.
   */
  grantConsume(grantee: iam.IGrantable, topic: string, group: string): void {
    this.grantBootstrap(grantee);
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'kafka:DescribeClusterV2',
        'kafka-cluster:Connect',
        'kafka-cluster:DescribeClusterDynamicConfiguration',
      ],
      resourceArns: [this.clusterArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
      resourceArns: [this.topicArn(topic)],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
      resourceArns: [this.groupArn(group)],
    });
  }

  private grantBootstrap(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kafka:GetBootstrapBrokers'],
      resourceArns: [this.clusterArn],
    });
  }

  private kafkaArn(resource: 'topic' | 'group', name: string): string {
    return Stack.of(this).formatArn({
      service: 'kafka',
      resource,
      resourceName: `${this.clusterName}/${this.clusterUuid}/${name}`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  private createTopic(
    network: IPipelineNetwork,
    props: StreamingProps,
    cluster: msk.CfnCluster,
    securityGroup: ec2.SecurityGroup,
    replicationFactor: number,
  ): CustomResource {
    const setup = new PipelineFunction(this, 'TopicSetup', {
      ...definedFunctionProps(topicSetupFunction(), { MSK_CLUSTER_ARN: this.clusterArn }),
      vpc: network.vpc,
      vpcSubnets: network.applicationSubnets,
      logRetentionDays: props.logs.logRetentionDays,
    });
    this.connections.allowDefaultPortFrom(setup, 'Topic setup to the brokers (SASL/IAM over TLS)');
    network.allowEndpointsFrom(setup);
    this.grantBootstrap(setup.function);
    iam.Grant.addToPrincipal({
      grantee: setup.function,
      actions: ['kafka-cluster:Connect'],
      resourceArns: [this.clusterArn],
    });
    iam.Grant.addToPrincipal({
      grantee: setup.function,
      actions: [
        'kafka-cluster:CreateTopic',
        'kafka-cluster:DescribeTopic',
        'kafka-cluster:AlterTopic',
        // The topic is created with its settings, and an update reads the topic's settings and
        // writes them back with the stack's (MSK requires Describe… alongside Alter…).
        'kafka-cluster:DescribeTopicDynamicConfiguration',
        'kafka-cluster:AlterTopicDynamicConfiguration',
      ],
      resourceArns: [this.topicArn(props.settings.topic)],
    });

    return functionBackedResource(this, 'Topic', {
      handler: setup,
      resourceType: 'Custom::KafkaTopic',
      properties: {
        Topic: props.settings.topic,
        Partitions: props.settings.topicPartitions,
        ReplicationFactor: replicationFactor,
        MinInsyncReplicas: minInsyncReplicasFor(replicationFactor),
        // Sent so that a change of the settings updates the topic (the handler derives them itself).
        Settings: durabilitySettings(minInsyncReplicasFor(replicationFactor)),
      },
      logs: props.logs,
      // The brokers, and the rules letting the function reach them and the MSK API.
      dependsOn: [cluster, securityGroup, network],
    });
  }
}
