/**
 * The second deploy audit (../shared/audits/deploy-audit-2.md): each fix shown on the synthesized
 * template, and each template check shown to find what it looks for.
 */
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { MSK_KAFKA_VERSIONS } from '../../contracts/msk-offerings.js';
import { RESTORE_NOTICE_MARGIN_DAYS } from '../../contracts/settings.js';
import { readSettings } from '../../lib/read-context.js';
import { TreasuryStreamStack } from '../../lib/treasury-stream-stack.js';
import { CDK_JSON_CONTEXT, synthesize } from './synth.js';
import {
  type CfnTemplate,
  findMissingKafkaRequiredActions,
  findUndeliverableAlarmActions,
  type Json,
} from './template-checks.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };
type TemplateJson = { Resources: Record<string, Resource> };

const json = (context: Record<string, unknown> = {}) =>
  synthesize({ context }).template.toJSON() as TemplateJson;

describe('N13: every alarm notification can be delivered', () => {
  it('lets CloudWatch alarms of this account publish to the topic of every alarm action', () => {
    const template = json();
    const alarms = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');

    expect(alarms.length).toBeGreaterThan(5);
    expect(findUndeliverableAlarmActions(template as CfnTemplate)).toEqual([]);
  });

  it('finds an alarm whose topic policy only denies, or whose key keeps CloudWatch out (the check itself)', () => {
    const denyOnly = {
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: { Ref: 'Topic' },
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    };
    const unscopedAllow = {
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: 'Topic' },
    };
    const broken = (statements: Json[], keyStatements: Json[]): CfnTemplate => ({
      Resources: {
        Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Statement: keyStatements } } },
        Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
        Policy: {
          Type: 'AWS::SNS::TopicPolicy',
          Properties: { Topics: [{ Ref: 'Topic' }], PolicyDocument: { Statement: statements } },
        },
        Alarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: { AlarmActions: [{ Ref: 'Topic' }], OKActions: ['arn:aws:sns:r:1:elsewhere'] },
        },
      },
    });
    const keyForCloudWatch = {
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    };

    const problems = (t: CfnTemplate) =>
      findUndeliverableAlarmActions(t).map((f) => `${f.path}: ${f.problem}`);

    expect(problems(broken([denyOnly], [keyForCloudWatch]))).toEqual([
      '$.Resources.Alarm.Properties.AlarmActions.0: topic Topic has a policy that lets no CloudWatch alarm publish',
      '$.Resources.Alarm.Properties.OKActions.0: not a topic of this template: its policy cannot be checked',
    ]);
    expect(problems(broken([denyOnly, unscopedAllow], []))).toEqual([
      '$.Resources.Alarm.Properties.AlarmActions.0: topic Topic has a policy that lets no CloudWatch alarm publish',
      '$.Resources.Alarm.Properties.AlarmActions.0: the key Key of topic Topic does not let CloudWatch use it',
      '$.Resources.Alarm.Properties.OKActions.0: not a topic of this template: its policy cannot be checked',
    ]);
  });
});

describe('N4: each Kafka action comes with the actions MSK requires alongside it', () => {
  it('grants every role the required actions of the Kafka actions it has, topic setup included', () => {
    const template = json();
    const setupPolicy = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith('StreamingTopicSetup'),
    )?.[1];

    expect(findMissingKafkaRequiredActions(template as CfnTemplate)).toEqual([]);
    expect(JSON.stringify(setupPolicy?.Properties)).toContain(
      'kafka-cluster:DescribeTopicDynamicConfiguration',
    );
  });

  it('finds AlterTopicDynamicConfiguration granted without its Describe (the check itself)', () => {
    const template: CfnTemplate = {
      Resources: {
        Role: { Type: 'AWS::IAM::Role' },
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'Role' }],
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['kafka-cluster:Connect', 'kafka-cluster:AlterTopicDynamicConfiguration'],
                  Resource: 'arn:aws:kafka:r:1:topic/c/u/t',
                },
              ],
            },
          },
        },
      },
    };

    expect(findMissingKafkaRequiredActions(template)).toEqual([
      {
        path: '$.Resources.Role',
        problem:
          'kafka-cluster:AlterTopicDynamicConfiguration without kafka-cluster:DescribeTopicDynamicConfiguration',
      },
    ]);
  });
});

describe('N2: the cluster is renamed exactly when a change replaces it', () => {
  const clusterNameAfter = (change: (stack: Stack) => void) => {
    const { template } = synthesize({ change });
    const [cluster] = Object.values(template.findResources('AWS::MSK::Cluster'));
    return JSON.stringify(cluster?.Properties?.ClusterName);
  };
  const child = <T>(stack: Stack, path: string) =>
    stack.node.findChild('Streaming').node.findChild(path) as T;

  it('renames it when its security group would be replaced (a new description), not for ClientBroker', () => {
    const usual = clusterNameAfter(() => {});

    const newGroup = clusterNameAfter((stack) => {
      (
        child<Construct>(stack, 'BrokerSecurityGroup').node.defaultChild as ec2.CfnSecurityGroup
      ).groupDescription = 'another description';
    });
    const inPlace = clusterNameAfter((stack) => {
      const cluster = child<msk.CfnCluster>(stack, 'Cluster');
      cluster.encryptionInfo = {
        ...(cluster.encryptionInfo as msk.CfnCluster.EncryptionInfoProperty),
        encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT', inCluster: true },
      };
    });

    expect(newGroup).not.toBe(usual);
    expect(inPlace).toBe(usual);
  });

  it('keeps the broker configuration (and its name) across a Kafka version upgrade (N25)', () => {
    const configuration = (context: Record<string, unknown>) =>
      Object.values(json(context).Resources).find((r) => r.Type === 'AWS::MSK::Configuration')?.Properties;

    const before = configuration({ kafkaVersion: '3.8.x' });
    const after = configuration({ kafkaVersion: '3.9.x' });

    expect(after).toEqual(before);
    expect(after?.KafkaVersionsList).toEqual(MSK_KAFKA_VERSIONS);
  });
});

describe('N16, N17: a consumer group per stack', () => {
  const groupOf = (template: Template) => {
    const [mapping] = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    return mapping?.Properties?.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId;
  };

  it('gives two stacks in one account two groups by default, and takes a group the operator names', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const blue = new TreasuryStreamStack(app, 'Blue');
    const green = new TreasuryStreamStack(app, 'Green');

    const groups = [groupOf(Template.fromStack(blue)), groupOf(Template.fromStack(green))];
    const named = groupOf(synthesize({ context: { consumerGroupId: 'treasury-2' } }).template);

    expect(groups).toEqual(['Blue-aggregator', 'Green-aggregator']);
    expect(named).toBe('treasury-2');
  });
});

describe('N9, N10: the stall and lag alarms are right whether or not metrics arrive', () => {
  const alarm = (pattern: RegExp) =>
    Object.values(json().Resources).find(
      (r) => r.Type === 'AWS::CloudWatch::Alarm' && pattern.test(String(r.Properties?.AlarmDescription)),
    )?.Properties;

  it('calls the pipeline stalled after 3 of 5 one-minute periods with deals produced and none applied', () => {
    const stall = alarm(/pipeline is stalled/);
    const metrics = (stall?.Metrics ?? []) as { MetricStat?: { Period?: number } }[];

    expect(stall).toMatchObject({
      EvaluationPeriods: 5,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    expect(metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat?.Period)).toEqual([60, 60]);
  });

  it('does not page on missing lag (an idle topic, the producer off): the stall alarm covers a mapping that stops', () => {
    expect(alarm(/falling behind the topic/)).toMatchObject({ TreatMissingData: 'notBreaching' });
    expect(alarm(/mapping disabled, not polling/)).toBeDefined();
  });
});

describe('D3: Kafka keeps the deals a database restore needs', () => {
  const serverProperties = (context: Record<string, unknown>) =>
    String(
      Object.values(json(context).Resources).find((r) => r.Type === 'AWS::MSK::Configuration')?.Properties
        ?.ServerProperties,
    );

  it('keeps records for the backup retention plus the margin to notice a loss, by default', () => {
    expect(serverProperties({})).toContain(`log.retention.hours=${(7 + RESTORE_NOTICE_MARGIN_DAYS) * 24}`);
    expect(serverProperties({ databaseBackupDays: '14' })).toContain(
      `log.retention.hours=${(14 + RESTORE_NOTICE_MARGIN_DAYS) * 24}`,
    );
    expect(serverProperties({ kafkaRetentionHours: '720' })).toContain('log.retention.hours=720');
  });

  it('refuses at synth a retention shorter than the backups reach back plus the margin, naming both', () => {
    const context = { kafkaRetentionHours: '168', databaseBackupDays: '7' };

    expect(() =>
      readSettings({ tryGetContext: (key: string) => context[key as keyof typeof context] }),
    ).toThrow(/kafkaRetentionHours \(168\) must be at least 240: databaseBackupDays \(7\) plus 3 days/);
  });
});

describe('N22: the aggregator has the concurrency its partitions need', () => {
  const reserved = (context: Record<string, unknown>) =>
    Object.values(json(context).Resources).find(
      (r) => r.Type === 'AWS::Lambda::Function' && /^Aggregates MSK/.test(String(r.Properties?.Description)),
    )?.Properties?.ReservedConcurrentExecutions;

  it('reserves one execution per partition by default, more when asked, none when the operator opts out', () => {
    expect(reserved({})).toBe(3);
    expect(reserved({ topicPartitions: '12' })).toBe(12);
    expect(reserved({ aggregatorReservedConcurrency: '20' })).toBe(20);
    expect(reserved({ aggregatorReservedConcurrency: 'none' })).toBeUndefined();
  });

  it('refuses a reservation below the partitions, which would throttle the mapping', () => {
    const context = { topicPartitions: '6', aggregatorReservedConcurrency: '4' };

    expect(() =>
      readSettings({ tryGetContext: (key: string) => context[key as keyof typeof context] }),
    ).toThrow(/aggregatorReservedConcurrency \(4\) must be at least topicPartitions \(6\)/);
  });
});

describe('N21: every function of the stack logs into a log group the stack owns', () => {
  it('gives each function, SAR rotations and framework handlers included, a log group with a retention, created first', () => {
    const { Resources } = json();
    const logGroups = Object.entries(Resources).filter(([, r]) => r.Type === 'AWS::Logs::LogGroup');
    const named = (name: string) =>
      logGroups.find(([, r]) => JSON.stringify(r.Properties?.LogGroupName) === JSON.stringify(name));
    const dependsOn = (id: string) => (Resources[id] as { DependsOn?: string[] }).DependsOn ?? [];
    const missing: string[] = [];

    for (const [id, fn] of Object.entries(Resources)) {
      if (fn.Type === 'AWS::Lambda::Function') {
        const own = (fn.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined)?.LogGroup
          ?.Ref;
        const byName = logGroups.find(([, r]) =>
          String(JSON.stringify(r.Properties?.LogGroupName)).includes(`{"Ref":"${id}"}`),
        );
        if (!own && !byName) missing.push(id);
      }
      if (fn.Type === 'AWS::Serverless::Application') {
        const name = (fn.Properties?.Parameters as { functionName?: string } | undefined)?.functionName;
        const group = named(`/aws/lambda/${name}`);
        if (!group || !dependsOn(id).includes(group[0])) missing.push(id);
      }
    }

    expect(missing).toEqual([]);
    for (const [, group] of logGroups) expect(group.Properties?.RetentionInDays).toBe(30);
    const restrict = Object.entries(Resources).find(([, r]) => r.Type === 'Custom::VpcRestrictDefaultSG');
    expect(
      restrict && dependsOn(restrict[0]).some((d) => d.startsWith('NetworkRestrictDefaultSecurityGroupLogs')),
    ).toBe(true);
  });
});
