import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { bare } from './bare-stack.js';

describe('Producer, built alone', () => {
  it('runs once a minute at the rate and for the seconds of its settings', () => {
    const { template } = bare.producer({
      producer: { producerRatePerSecond: 250, producerDurationSeconds: 50 },
    });

    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RATE_PER_SECOND: '250', DURATION_SECONDS: '50' }) },
    });
  });
});

describe('Aggregator, built alone', () => {
  it('maps the topic with the batch, window, group and concurrency of its mapping settings', () => {
    const { template } = bare.aggregator({
      mapping: {
        aggregatorBatchSize: 2_000,
        aggregatorBatchingWindowSeconds: 5,
        consumerGroupId: 'g1',
        aggregatorReservedConcurrency: 20,
      },
    });

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 2_000,
      MaximumBatchingWindowInSeconds: 5,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'g1' },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Aggregates MSK batches'),
      ReservedConcurrentExecutions: 20,
    });
    template.resourceCountIs('AWS::S3::Bucket', 0);
  });

  it('keeps failed batches in a bucket in provisioned mode only', () => {
    const { template } = bare.aggregator({
      mapping: { provisionedPollers: { minimum: 1, maximum: 2 }, acceptOffsetGaps: true },
    });

    template.resourceCountIs('AWS::S3::Bucket', 1);
  });

  it('refuses provisioned mode with offset gaps refused, which would discard every later batch', () => {
    expect(() =>
      bare.aggregator({
        mapping: { provisionedPollers: { minimum: 1, maximum: 2 }, acceptOffsetGaps: false },
      }),
    ).toThrow(/acceptOffsetGaps false with provisionedPollers/);
  });
});

describe('Recovery, built alone', () => {
  it('reads the committed offsets of the consumer group it is given, with a group of its own', () => {
    const { template } = bare.recovery('mapping-group');

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CONSUMER_GROUP_ID: 'mapping-group' }) },
    });
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain('/mapping-group-recovery');
  });
});

describe('Observability, built alone', () => {
  it('alarms on lag above the threshold of its settings and mails the address it is given', () => {
    const { template } = bare.observability({
      alarms: { lagAlarmThreshold: 5_000, alarmEmail: 'ops@example.com' },
    });

    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5_000 });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('subscribes no one when no address is given', () => {
    bare.observability().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});
