import { describe, expect, it } from 'vitest';
import { bare } from './bare-stack.js';

describe('Streaming, built alone', () => {
  it('builds one cluster of the brokers it is given and the topic of its settings', () => {
    const { template } = bare.streaming({
      streaming: {
        brokerCount: 4,
        brokerInstanceType: 'kafka.m7g.large',
        topic: 'deals',
        topicPartitions: 7,
      },
    });

    template.resourceCountIs('AWS::MSK::Cluster', 1);
    template.hasResourceProperties('AWS::MSK::Cluster', {
      NumberOfBrokerNodes: 4,
      BrokerNodeGroupInfo: { InstanceType: 'kafka.m7g.large' },
    });
    template.hasResourceProperties('Custom::KafkaTopic', {
      Topic: 'deals',
      Partitions: 7,
      ReplicationFactor: 3,
    });
  });

  it('keeps the cluster when the stack goes, unless the lifecycle says destroy', () => {
    const kept = Object.values(bare.streaming().template.findResources('AWS::MSK::Cluster'));
    const destroyed = Object.values(
      bare.streaming({ lifecycle: { destroyOnRemoval: true } }).template.findResources('AWS::MSK::Cluster'),
    );

    expect(kept.map((r) => r.DeletionPolicy)).toEqual(['Retain']);
    expect(destroyed.map((r) => r.DeletionPolicy)).toEqual(['Delete']);
  });
});
