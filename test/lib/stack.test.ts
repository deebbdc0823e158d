import { Token } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_OFFSET_GAPS_ENV } from '../../contracts/functions.js';
import { AGGREGATOR_METRIC } from '../../contracts/telemetry/metrics.js';
import { findCredentialsInTemplate } from '../security/credentials.js';
import { type Synthesized, synthesize } from './synth.js';
import { type CfnTemplate, findPlaintextPasswords, findWildcardResources } from './template-checks.js';

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }
>;

/** The logical id a `{ "Fn::GetAtt": [id, attr] }` or `{ "Ref": id }` points at. */
function target(reference: unknown): string | undefined {
  const r = reference as { 'Fn::GetAtt'?: [string, string]; Ref?: string } | undefined;
  return r?.['Fn::GetAtt']?.[0] ?? r?.Ref;
}

function only<T>(items: Record<string, T>): [string, T] {
  const entries = Object.entries(items);
  expect(entries).toHaveLength(1);
  return entries[0] as [string, T];
}

function functionIdByEntry(template: Template, description: RegExp): string {
  const [id] = only(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp(description.source) },
    }),
  );
  return id;
}

function functionByEntry(template: Template, description: RegExp): Resources[string] {
  const fn = (template.findResources('AWS::Lambda::Function') as Resources)[
    functionIdByEntry(template, description)
  ];
  if (!fn) throw new Error(`no function described ${description}`);
  return fn;
}

/** The statements of the policies attached to a function's role (CDK's DefaultPolicy). */
function statementsOf(template: Template, description: RegExp): { Action: unknown; Resource: unknown }[] {
  const role = target(functionByEntry(template, description).Properties.Role);
  return Object.values(template.findResources('AWS::IAM::Policy') as Resources)
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => target(r) === role))
    .flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
    );
}

/** The security groups our functions run in: pipeline functions and secret rotations. */
function functionSecurityGroups(template: Template): Map<string, string> {
  const groups = new Map<string, string>();
  for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function') as Resources)) {
    const vpcConfig = fn.Properties.VpcConfig as { SecurityGroupIds?: unknown[] } | undefined;
    for (const group of vpcConfig?.SecurityGroupIds ?? []) groups.set(target(group) ?? '?', id);
  }
  for (const [id, app] of Object.entries(
    template.findResources('AWS::Serverless::Application') as Resources,
  )) {
    const parameters = app.Properties.Parameters as { vpcSecurityGroupIds?: unknown };
    groups.set(target(parameters.vpcSecurityGroupIds) ?? '?', id);
  }
  return groups;
}

function databaseSecurityGroup(template: Template): string {
  const [, instance] = only(template.findResources('AWS::RDS::DBInstance') as Resources);
  const groups = instance.Properties.VPCSecurityGroups as unknown[];
  expect(groups).toHaveLength(1);
  return target(groups[0]) ?? '?';
}

function ingressRulesOf(template: Template, groupId: string): Record<string, unknown>[] {
  const standalone = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress') as Resources)
    .map((r) => r.Properties)
    .filter((p) => target(p.GroupId) === groupId);
  const group = (template.findResources('AWS::EC2::SecurityGroup') as Resources)[groupId];
  const inline = (group?.Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? [];
  return [...standalone, ...inline];
}

describe('the default stack', () => {
  let synthesized: Synthesized;
  let template: Template;
  let json: CfnTemplate;

  beforeAll(() => {
    synthesized = synthesize();
    template = synthesized.template;
    json = template.toJSON() as CfnTemplate;
  });

  describe('database', () => {
    it('accepts 5432 only from the security groups of our functions, each the database needs', () => {
      const ours = functionSecurityGroups(template);

      const rules = ingressRulesOf(template, databaseSecurityGroup(template));

      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule).toMatchObject({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 });
        expect(rule.CidrIp).toBeUndefined();
        expect(rule.CidrIpv6).toBeUndefined();
        expect(ours.has(target(rule.SourceSecurityGroupId) ?? '')).toBe(true);
      }
      const sources = new Set(rules.map((r) => ours.get(target(r.SourceSecurityGroupId) ?? '')));
      const aggregator = functionIdByEntry(template, /^Aggregates MSK batches/);
      const migrator = functionIdByEntry(template, /^Applies db\/migrations/);
      const producer = functionIdByEntry(template, /^Sends random deals/);
      expect(sources.has(aggregator)).toBe(true);
      expect(sources.has(migrator)).toBe(true);
      const recovery = functionIdByEntry(template, /^Recovers the offsets/);
      expect(sources.has(recovery)).toBe(true);
      expect(sources.has(producer)).toBe(false);
      // aggregator, recovery, migrator and the three secret rotations
      expect(sources.size).toBe(6);
    });

    it('is private, in subnets without a route out, encrypted, TLS-only, backed up and kept on delete', () => {
      template.resourceCountIs('AWS::EC2::InternetGateway', 0);
      template.resourceCountIs('AWS::EC2::NatGateway', 0);
      template.resourceCountIs('AWS::EC2::Route', 0);
      const [, instance] = only(template.findResources('AWS::RDS::DBInstance') as Resources);

      expect(instance.Properties).toMatchObject({
        PubliclyAccessible: false,
        StorageEncrypted: true,
        DeletionProtection: true,
        BackupRetentionPeriod: 7,
        Engine: 'postgres',
        EngineVersion: '18',
        DBInstanceClass: 'db.t4g.micro',
        MultiAZ: false,
      });
      expect(instance.DeletionPolicy).toBe('Snapshot');
      template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
        Parameters: { 'rds.force_ssl': '1' },
      });
      template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
        SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('dataSubnet1') }]),
      });
    });

    it('rotates all three secrets: administrator, aggregator, reader', () => {
      template.resourceCountIs('AWS::SecretsManager::Secret', 3);
      template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 3);
      template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
        RotationRules: { ScheduleExpression: 'rate(30 days)' },
      });
    });

    it('is written by the aggregator with its own role, never the administrator', () => {
      const aggregator = functionByEntry(template, /^Aggregates MSK batches/);
      const variables = (aggregator.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;

      const secretId = target(variables.DATABASE_SECRET_ARN);

      const attachment = (template.findResources('AWS::SecretsManager::SecretTargetAttachment') as Resources)[
        secretId ?? ''
      ];
      const secret = (template.findResources('AWS::SecretsManager::Secret') as Resources)[
        target(attachment?.Properties.SecretId) ?? ''
      ];
      expect(JSON.stringify(secret?.Properties.GenerateSecretString)).toContain('treasury_aggregator');
      expect(variables).toMatchObject({
        DATABASE_POOL_SIZE: '1',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        // On-demand mode: a batch past its checkpoint is refused, the partition waits for the recovery.
        [ACCEPT_OFFSET_GAPS_ENV]: 'false',
      });
    });

    it('runs the migrations again when one changes, through the schema custom resource', () => {
      template.hasResourceProperties('Custom::DatabaseSchema', {
        MigrationsDigest: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
      });
    });
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

  describe('network', () => {
    it('reaches Lambda, STS, Secrets Manager and the MSK API through endpoints only', () => {
      const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint') as Resources).map((e) =>
        JSON.stringify(e.Properties.ServiceName),
      );
      expect(services).toHaveLength(4);
      for (const service of ['.lambda', '.sts', '.secretsmanager', '.kafka']) {
        expect(services.some((s) => s.includes(`${service}"`))).toBe(true);
      }
    });
  });

  describe('observability', () => {
    it('sends every alarm to the encrypted alarm topic', () => {
      const [topicId, topic] = only(template.findResources('AWS::SNS::Topic') as Resources);
      expect(topic.Properties.KmsMasterKeyId).toBeDefined();
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources);

      expect(alarms.map((a) => a.Properties.AlarmDescription)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/falling behind/),
          expect.stringMatching(/Batches keep failing/),
          expect.stringMatching(/set aside as invalid/),
          expect.stringMatching(/database CPU/),
          expect.stringMatching(/free storage/),
        ]),
      );
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    });

    it("alarms on the aggregator's metric of limit breaches that began, and shows open breaches", () => {
      const [topicId] = only(template.findResources('AWS::SNS::Topic') as Resources);
      const breach = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).filter(
        (a) =>
          JSON.stringify(a.Properties).includes(`"MetricName":"${AGGREGATOR_METRIC.limitBreachesBegun}"`),
      );
      const [, dashboard] = only(template.findResources('AWS::CloudWatch::Dashboard') as Resources);

      expect(breach).toHaveLength(1);
      const text = JSON.stringify(breach[0]?.Properties);
      expect(text).toContain('"Stat":"Sum"');
      expect(text).toContain('{"Name":"service","Value":"aggregator"}');
      expect(breach[0]?.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
      });
      expect(JSON.stringify(dashboard.Properties)).toContain(AGGREGATOR_METRIC.limitBreachesOpen);
    });

    it('alarms on the first record missing before a batch (offset gap), to the alarm topic, and shows it', () => {
      const [topicId] = only(template.findResources('AWS::SNS::Topic') as Resources);
      const gap = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).filter((a) =>
        JSON.stringify(a.Properties).includes(`"MetricName":"${AGGREGATOR_METRIC.offsetGapRecords}"`),
      );
      const [, dashboard] = only(template.findResources('AWS::CloudWatch::Dashboard') as Resources);

      expect(gap).toHaveLength(1);
      const text = JSON.stringify(gap[0]?.Properties);
      expect(text).toContain('"Stat":"Maximum"');
      expect(text).toContain('{"Name":"service","Value":"aggregator"}');
      expect(gap[0]?.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
      expect(JSON.stringify(dashboard.Properties)).toContain(AGGREGATOR_METRIC.offsetGapRecords);
    });

    it('watches the lag of the mapping on the aggregator', () => {
      const lag = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).filter((a) =>
        JSON.stringify(a.Properties).includes('"MetricName":"OffsetLag"'),
      );

      expect(lag).toHaveLength(1);
      const text = JSON.stringify(lag[0]?.Properties);
      expect(text).toContain('"Namespace":"AWS/Lambda"');
      expect(text).toContain(functionIdByEntry(template, /^Aggregates MSK batches/));
      expect(lag[0]?.Properties.Threshold).toBe(10_000);
    });

    it('outputs what operators and analysts need', () => {
      for (const name of [
        'DatabaseEndpoint',
        'AdminSecretArn',
        'AggregatorSecretArn',
        'ReaderSecretArn',
        'DashboardUrl',
        'Topic',
        'ClusterArn',
      ]) {
        template.hasOutput(name, {});
      }
    });
  });

  describe('the whole template', () => {
    it('holds no plaintext password', () => {
      expect(findPlaintextPasswords(json)).toEqual([]);
    });

    it('holds no credential of any kind the repository scanner knows (keys, tokens, connection URLs)', () => {
      expect(findCredentialsInTemplate(json)).toEqual([]);
    });

    it('grants no IAM action on "*" where an ARN is known', () => {
      expect(findWildcardResources(json)).toEqual([]);
    });

    it('is environment-agnostic: no account or region is written into its resources', () => {
      expect(Token.isUnresolved(synthesized.stack.account)).toBe(true);
      expect(Token.isUnresolved(synthesized.stack.region)).toBe(true);
      // (Mappings are left out: they list the public SAR rotation applications of each partition.)
      const resources = JSON.stringify({ Resources: json.Resources, Outputs: json.Outputs });
      expect(resources).not.toMatch(/\b\d{12}\b/);
      expect(resources).not.toMatch(/\b(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b/);
    });
  });
});

describe('configuration', () => {
  it('sizes the topic replication to four brokers: factor 3, two in sync', () => {
    const { template } = synthesize({ context: { brokerCount: '4' } });

    template.hasResourceProperties('AWS::MSK::Cluster', { NumberOfBrokerNodes: 4 });
    template.hasResourceProperties('Custom::KafkaTopic', { ReplicationFactor: 3, MinInsyncReplicas: 2 });
  });

  it('opens 5432 to listed SQL client networks only when asked', () => {
    const { template } = synthesize({ context: { sqlClientCidrs: '10.8.0.0/16,192.168.4.0/24' } });

    const cidrs = ingressRulesOf(template, databaseSecurityGroup(template))
      .filter((r) => r.CidrIp !== undefined)
      .map((r) => [r.CidrIp, r.FromPort, r.ToPort]);
    expect(cidrs).toEqual([
      ['10.8.0.0/16', 5432, 5432],
      ['192.168.4.0/24', 5432, 5432],
    ]);
  });

  it('destroys the database, cluster and secrets only when the operator opts in', () => {
    const { template } = synthesize({ context: { destroyOnRemoval: 'true' } });

    const [, instance] = only(template.findResources('AWS::RDS::DBInstance') as Resources);
    expect(instance.Properties.DeletionProtection).toBe(false);
    expect(instance.DeletionPolicy).toBe('Delete');
    const [, cluster] = only(template.findResources('AWS::MSK::Cluster') as Resources);
    expect(cluster.DeletionPolicy).toBe('Delete');
    for (const secret of Object.values(template.findResources('AWS::SecretsManager::Secret') as Resources)) {
      expect(secret.DeletionPolicy).toBe('Delete');
    }
  });

  it('in provisioned mode retries, bisects and keeps batches that still fail in S3', () => {
    const { template } = synthesize({
      context: {
        minimumPollers: '1',
        maximumPollers: '3',
        maxRetryAttempts: '20',
        aggregatorBatchSize: '100',
      },
    });

    const [bucketId] = only(template.findResources('AWS::S3::Bucket'));
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
      MaximumRetryAttempts: 20,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [bucketId, 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
    // The batch after a discarded one starts past its checkpoint: it records the gap and goes on.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Aggregates MSK batches'),
      Environment: { Variables: Match.objectLike({ [ACCEPT_OFFSET_GAPS_ENV]: 'true' }) },
    });
  });
});

describe('the template checks', () => {
  const password = 'correct-horse-battery-staple';

  it('find a password given in the clear, in a JSON string, a secret or a function environment', () => {
    const leaky: CfnTemplate = {
      Resources: {
        Db: { Type: 'AWS::RDS::DBInstance', Properties: { MasterUserPassword: password } },
        Secret: {
          Type: 'AWS::SecretsManager::Secret',
          Properties: { SecretString: `{"password":"${password}"}` },
        },
        Fn: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            Environment: {
              Variables: {
                DB_PASSWORD: password,
                DB_SECRET: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'Secret' }, '}}']] },
              },
            },
          },
        },
      },
    };

    const findings = findPlaintextPasswords(leaky).map((f) => f.path);

    expect(findings).toEqual(
      expect.arrayContaining([
        '$.Resources.Db.Properties.MasterUserPassword',
        '$.Resources.Secret.Properties.SecretString',
        '$.Resources.Secret',
        '$.Resources.Fn.Properties.Environment.Variables.DB_PASSWORD',
        '$.Resources.Fn.Properties.Environment.Variables.DB_SECRET',
      ]),
    );
  });

  it('accept a password that is a Secrets Manager dynamic reference', () => {
    const reference = {
      'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: 'S' }, ':SecretString:password::}}']],
    };
    const safe: CfnTemplate = {
      Resources: { Db: { Type: 'AWS::RDS::DBInstance', Properties: { MasterUserPassword: reference } } },
    };

    expect(findPlaintextPasswords(safe)).toEqual([]);
  });

  it('find an IAM grant on "*" for an action that could name its resource, and Kafka wildcards', () => {
    const broad: CfnTemplate = {
      Resources: {
        Policy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: ['ec2:DescribeVpcs', 'kafka-cluster:Connect'], Resource: '*' },
                {
                  Effect: 'Allow',
                  Action: 'kafka-cluster:ReadData',
                  Resource: 'arn:aws:kafka:r:1:topic/c/u/*',
                },
                { Effect: 'Allow', Action: 'ec2:DescribeSecurityGroups', Resource: '*' },
              ],
            },
          },
        },
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: ['*'] }] },
              },
            ],
          },
        },
      },
    };

    const findings = findWildcardResources(broad);

    expect(findings.map((f) => f.path)).toEqual([
      '$.Resources.Policy.Properties.PolicyDocument.Statement.0',
      '$.Resources.Policy.Properties.PolicyDocument.Statement.1',
      '$.Resources.Role.Properties.Policies.0.PolicyDocument.Statement.0',
    ]);
    expect(findings[0]?.problem).toBe('Resource "*" for kafka-cluster:Connect');
  });
});
