import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Synthesized, synthesize } from '../synth.js';
import {
  functionByEntry,
  functionIdByEntry,
  only,
  type Resources,
  statementsOf,
} from './template-queries.js';

describe('the default stack: functions', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize();
    template = synthesized.template;
  });

  describe('aggregator', () => {
    it('is fed by an event source mapping on the topic: batch, window, start, group', () => {
      const [, mapping] = only(template.findResources('AWS::Lambda::EventSourceMapping') as Resources);
      const [clusterId] = only(template.findResources('AWS::MSK::Cluster'));

      expect(mapping.Properties).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [clusterId, 'Arn'] },
        Topics: ['transaction'],
        BatchSize: 500,
        MaximumBatchingWindowInSeconds: 2,
        StartingPosition: 'TRIM_HORIZON',
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'TreasuryStream-aggregator' },
        FunctionName: { Ref: functionIdByEntry(template, /^Aggregates MSK batches/) },
      });
      // On-demand mode: Lambda offers no retry limit, bisection or destination for Kafka there.
      expect(mapping.Properties.ProvisionedPollerConfig).toBeUndefined();
      expect(mapping.Properties.MaximumRetryAttempts).toBeUndefined();
      expect(mapping.Properties.DestinationConfig).toBeUndefined();
    });

    it('may read the topic and commit the group, on their ARNs', () => {
      const text = JSON.stringify(statementsOf(template, /^Aggregates MSK batches/));
      expect(text).toContain('kafka-cluster:ReadData');
      expect(text).toContain('/transaction');
      expect(text).toContain('/TreasuryStream-aggregator');
      expect(text).toContain(':topic/');
      expect(text).toContain(':group/');
    });
  });

  describe('recovery', () => {
    it('runs in the application subnets with the aggregator secret, the cluster, topic and mapping group', () => {
      const recovery = functionByEntry(template, /^Recovers the offsets/);
      const aggregator = functionByEntry(template, /^Aggregates MSK batches/);
      const variables = (recovery.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const aggregatorVariables = (
        aggregator.Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;

      const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
      const mappingGroup = mapping?.Properties.AmazonManagedKafkaEventSourceConfig.ConsumerGroupId;

      // The group whose committed offsets the recovery compares with the checkpoints is the mapping's.
      expect(mappingGroup).toBe('TreasuryStream-aggregator');
      expect(variables).toMatchObject({
        TOPIC: 'transaction',
        CONSUMER_GROUP_ID: mappingGroup,
        MSK_CLUSTER_ARN: expect.anything(),
      });
      expect(variables.DATABASE_SECRET_ARN).toEqual(aggregatorVariables.DATABASE_SECRET_ARN);
      expect(recovery.Properties.Timeout).toBe(900);
      expect(JSON.stringify(recovery.Properties.VpcConfig)).toEqual(
        JSON.stringify(aggregator.Properties.VpcConfig).replace(
          JSON.stringify((aggregator.Properties.VpcConfig as { SecurityGroupIds: unknown }).SecurityGroupIds),
          JSON.stringify((recovery.Properties.VpcConfig as { SecurityGroupIds: unknown }).SecurityGroupIds),
        ),
      );
    });

    it('has the least it needs: read the topic with its own group, describe the mapping group, read one secret', () => {
      const statements = statementsOf(template, /^Recovers the offsets/).map((s) => ({
        actions: ([] as unknown[]).concat(s.Action).map(String).sort(),
        resource: JSON.stringify(s.Resource),
      }));
      // The ARNs are Fn::Join lists ending in "/<topic or group name>".
      const on = (name: string) =>
        statements
          .filter((s) => s.resource.endsWith(`/${name}"]]}`))
          .flatMap((s) => s.actions)
          .sort();

      expect(on('TreasuryStream-aggregator-recovery')).toEqual([
        'kafka-cluster:AlterGroup',
        'kafka-cluster:DescribeGroup',
      ]);
      expect(on('TreasuryStream-aggregator')).toEqual(['kafka-cluster:DescribeGroup']);
      expect(on('transaction')).toEqual(['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData']);
      const all = statements.flatMap((s) => s.actions).sort();
      expect(all).toEqual(
        [
          'kafka-cluster:AlterGroup',
          'kafka-cluster:Connect',
          'kafka-cluster:DescribeGroup',
          'kafka-cluster:DescribeGroup',
          'kafka-cluster:DescribeTopic',
          'kafka-cluster:ReadData',
          'kafka:GetBootstrapBrokers',
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
        ].sort(),
      );
      expect(statements.every((s) => !s.resource.includes('"*"'))).toBe(true);
    });
  });

  describe('producer', () => {
    it('runs every minute, once, without retries', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [functionIdByEntry(template, /^Sends random deals/), 'Arn'] },
            RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
          }),
        ],
      });
    });

    it('may write to the topic only, idempotently, and has its rate and duration', () => {
      const producer = functionByEntry(template, /^Sends random deals/);
      expect(producer.Properties).toMatchObject({
        Environment: { Variables: { TOPIC: 'transaction', RATE_PER_SECOND: '100', DURATION_SECONDS: '55' } },
        Timeout: 85,
      });
      const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources).filter((p) =>
        JSON.stringify(p.Properties.PolicyDocument).includes('kafka-cluster:WriteData"'),
      );
      expect(policies).toHaveLength(1);
      const text = JSON.stringify(policies[0]?.Properties.PolicyDocument);
      expect(text).toContain('kafka-cluster:WriteDataIdempotently');
      expect(text).not.toContain('kafka-cluster:ReadData');
      expect(text).not.toContain('kafka-cluster:CreateTopic');
    });
  });

  describe('functions', () => {
    it('run the newest Node.js on ARM64 in the VPC, with JSON logs kept for 30 days', () => {
      const ours = Object.values(template.findResources('AWS::Lambda::Function') as Resources).filter((f) =>
        /^(Aggregates|Sends|Applies|Creates|Recovers)/.test(String(f.Properties.Description)),
      );
      expect(ours).toHaveLength(5);
      for (const fn of ours) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          LoggingConfig: { LogFormat: 'JSON' },
          VpcConfig: { SubnetIds: expect.any(Array) },
        });
      }
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });
  });
});
