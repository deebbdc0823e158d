import { describe, expect, it } from 'vitest';
import { planTopic, readTopicSpec, type TopicSpec } from '../../../lambda/topic-setup/plan.js';

const spec: TopicSpec = { topic: 'transaction', partitions: 3, replicationFactor: 2, minInsyncReplicas: 1 };

describe('the topic custom resource', () => {
  it('reads its properties, which CloudFormation sends as strings', () => {
    const read = readTopicSpec({
      ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:provider',
      Topic: 'transaction',
      Partitions: '3',
      ReplicationFactor: '2',
      MinInsyncReplicas: '1',
    });

    expect(read).toEqual(spec);
  });

  it.each([
    [{ Topic: 'trans action', Partitions: '3', ReplicationFactor: '2', MinInsyncReplicas: '1' }, /Topic/],
    [{ Topic: 'transaction', Partitions: '0', ReplicationFactor: '2', MinInsyncReplicas: '1' }, /Partitions/],
    [
      { Topic: 'transaction', Partitions: '3', ReplicationFactor: '2.5', MinInsyncReplicas: '1' },
      /ReplicationFactor/,
    ],
    [
      { Topic: 'transaction', Partitions: '3', ReplicationFactor: '2', MinInsyncReplicas: '3' },
      /no write could/,
    ],
  ])('rejects %j', (properties, message) => {
    expect(() => readTopicSpec(properties)).toThrow(message);
  });

  it('creates a topic that does not exist', () => {
    expect(planTopic(spec, undefined)).toEqual({ action: 'create' });
  });

  it('adds the partitions an existing topic lacks', () => {
    expect(planTopic(spec, 2)).toEqual({ action: 'add-partitions', from: 2, to: 3 });
  });

  it('leaves a topic that matches alone', () => {
    expect(planTopic(spec, 3)).toEqual({ action: 'none' });
  });

  it('fails the deployment rather than pretend it removed partitions', () => {
    expect(() => planTopic(spec, 6)).toThrow(/has 6 partitions; Kafka cannot reduce them to 3/);
  });
});
