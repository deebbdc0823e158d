import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthesize } from '../synth.js';
import { only, type Resources } from './template-queries.js';

describe('the default stack: streaming', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize();
    template = synthesized.template;
  });

  describe('streaming', () => {
    it('runs MSK 3.9.x on two kafka.t3.small brokers, IAM over TLS only, encrypted at rest and in the cluster', () => {
      const [, cluster] = only(template.findResources('AWS::MSK::Cluster') as Resources);

      expect(cluster.Properties).toMatchObject({
        KafkaVersion: '3.9.x',
        NumberOfBrokerNodes: 2,
        BrokerNodeGroupInfo: { InstanceType: 'kafka.t3.small' },
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
        EncryptionInfo: {
          EncryptionAtRest: { DataVolumeKMSKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
          EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true },
        },
        LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true } } },
      });
      expect(cluster.DeletionPolicy).toBe('Retain');
    });

    it('creates the topic with 3 partitions and a replication factor that fits two brokers', () => {
      template.hasResourceProperties('Custom::KafkaTopic', {
        Topic: 'transaction',
        Partitions: 3,
        ReplicationFactor: 2,
        MinInsyncReplicas: 1,
      });
    });
  });
});
