import { describe, expect, it } from 'vitest';
import {
  mergedTopicConfig,
  planTopic,
  readTopicSpec,
  type TopicSpec,
} from '../../../lambda/topic-setup/plan.js';

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
    expect(planTopic(spec, undefined, 'Create')).toEqual({ action: 'create' });
  });

  it('adds the partitions an existing topic lacks', () => {
    expect(planTopic(spec, 2, 'Update')).toEqual({ action: 'add-partitions', from: 2, to: 3 });
  });

  it('leaves a topic that matches alone', () => {
    expect(planTopic(spec, 3, 'Update')).toEqual({ action: 'none' });
  });

  it('keeps the partitions on an update that asks for fewer: a rollback of an increase must succeed (N5)', () => {
    // Prepare: 3 → 6 succeeded on the topic; a later resource failed; CloudFormation sends 3 again.
    const rollback = { ...spec, partitions: 3 };

    // Act, Assess
    expect(planTopic(rollback, 6, 'Update')).toEqual({ action: 'keep-partitions', have: 6, asked: 3 });
  });

  it('fails a create that finds the topic with more partitions than asked (no rollback sends a Create)', () => {
    expect(() => planTopic(spec, 6, 'Create')).toThrow(/has 6 partitions; Kafka cannot reduce them to 3/);
  });
});

describe("the topic's configuration written back (N6: AlterConfigs replaces it whole)", () => {
  const declared = [
    { name: 'min.insync.replicas', value: '2' },
    { name: 'unclean.leader.election.enable', value: 'false' },
  ];

  it("keeps the topic's own settings, puts the stack's over them, and leaves broker defaults out", () => {
    const current = [
      { configName: 'retention.ms', configValue: '1209600000', configSource: 1 },
      { configName: 'min.insync.replicas', configValue: '1', configSource: 1 },
      { configName: 'cleanup.policy', configValue: 'delete', configSource: 5 },
      { configName: 'unclean.leader.election.enable', configValue: 'false', configSource: 4 },
    ];

    const merged = mergedTopicConfig(current, declared);

    expect(merged).toEqual([
      { name: 'retention.ms', value: '1209600000' },
      { name: 'min.insync.replicas', value: '2' },
      { name: 'unclean.leader.election.enable', value: 'false' },
    ]);
  });

  it('reads an answer without config sources (DescribeConfigs v0) by isDefault', () => {
    const current = [
      { configName: 'retention.ms', configValue: '3600000', isDefault: false },
      { configName: 'segment.bytes', configValue: '1073741824', isDefault: true },
    ];

    expect(mergedTopicConfig(current, declared).map((e) => e.name)).toEqual([
      'retention.ms',
      'min.insync.replicas',
      'unclean.leader.election.enable',
    ]);
  });

  it('refuses to write back a setting whose value Kafka hides, rather than erase it', () => {
    const current = [{ configName: 'some.secret', configValue: null, configSource: 1, isSensitive: true }];

    expect(() => mergedTopicConfig(current, declared)).toThrow(/some.secret is sensitive/);
  });
});
