/** The parts of the MSK cluster whose rules are their own: what replaces it, and its configuration. */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import { MSK_KAFKA_VERSIONS } from '../../../contracts/msk-offerings.js';
import { durabilitySettings, minInsyncReplicasFor } from '../../../contracts/topic.js';
import { replacementSafeName } from '../common/replacement-safe-name.js';

/**
 * What replaces the cluster when it changes (AWS::MSK::Cluster's create-only properties), by value:
 * each client subnet's logical ID and its own create-only placement (a subnet replaced in place keeps
 * its logical ID but gets a new ID), the security group's logical ID with its create-only
 * description, name and VPC, encryption at rest and in the cluster, and the zone distribution.
 * ClientBroker encryption is updated in place and so is not here.
 */
export function clusterReplacementProperties(
  cluster: msk.CfnCluster,
  clientSubnets: readonly ec2.ISubnet[],
  securityGroup: ec2.SecurityGroup,
): unknown {
  const group = securityGroup.node.defaultChild as ec2.CfnSecurityGroup;
  const encryption = cluster.encryptionInfo as msk.CfnCluster.EncryptionInfoProperty | undefined;
  const inTransit = encryption?.encryptionInTransit as msk.CfnCluster.EncryptionInTransitProperty | undefined;
  const nodes = cluster.brokerNodeGroupInfo as msk.CfnCluster.BrokerNodeGroupInfoProperty;
  return {
    clientSubnets: clientSubnets.map((subnet) => {
      const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
      return [cfn.logicalId, cfn.availabilityZone, cfn.availabilityZoneId, cfn.cidrBlock, cfn.vpcId];
    }),
    securityGroup: [group.logicalId, group.groupDescription, group.groupName, group.vpcId],
    encryptionAtRest: encryption?.encryptionAtRest,
    inCluster: inTransit?.inCluster,
    brokerAzDistribution: nodes.brokerAzDistribution,
  };
}

/**
 * The brokers' defaults: no unclean leader election, topics only as the stack creates them, the
 * replication the topic has, so that no topic (not even an operator's) gets less, and the retention
 * a database restore needs.
 */
export function brokerConfiguration(
  scope: Construct,
  replicationFactor: number,
  retentionHours: number,
  removalPolicy: RemovalPolicy,
): msk.CfnConfiguration {
  const serverProperties = {
    'auto.create.topics.enable': 'false',
    'default.replication.factor': String(replicationFactor),
    // Long enough to replay the deals since any point the database backups can restore (D3).
    'log.retention.hours': String(retentionHours),
    ...durabilitySettings(minInsyncReplicasFor(replicationFactor)),
  };
  // Valid for every version the stack offers, so that a version upgrade changes the cluster only:
  // KafkaVersionsList is create-only, and a configuration listing only the new version would be
  // created for a cluster still on the old one (N25).
  const kafkaVersionsList = [...MSK_KAFKA_VERSIONS];
  const configuration: msk.CfnConfiguration = new msk.CfnConfiguration(scope, 'BrokerConfiguration', {
    name: replacementSafeName(scope, (): unknown => ({
      kafkaVersionsList: configuration.kafkaVersionsList,
    })),
    description: 'treasury-stream brokers: no unclean leader election, no automatic topics',
    kafkaVersionsList,
    serverProperties: Object.entries(serverProperties)
      .map(([name, value]) => `${name}=${value}`)
      .join('\n'),
  });
  // A configuration in use by a cluster cannot be deleted: it goes, or stays, with the cluster.
  configuration.applyRemovalPolicy(removalPolicy);
  return configuration;
}
