import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACCEPT_OFFSET_GAPS_ENV } from '../../../contracts/functions.js';
import { type Synthesized, synthesize } from '../synth.js';
import {
  databaseSecurityGroup,
  functionByEntry,
  functionIdByEntry,
  functionSecurityGroups,
  ingressRulesOf,
  only,
  type Resources,
  target,
} from './template-queries.js';

describe('the default stack: database', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize();
    template = synthesized.template;
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

    it("changes the aggregator's code only after the schema is migrated, so new code never meets an older schema", () => {
      const [schemaId] = only(template.findResources('Custom::DatabaseSchema'));
      const aggregator = functionByEntry(template, /^Aggregates MSK batches/);

      expect(aggregator.DependsOn).toContain(schemaId);
    });

    it('runs the migrations again when one changes, through the schema custom resource', () => {
      template.hasResourceProperties('Custom::DatabaseSchema', {
        MigrationsDigest: Match.stringLikeRegexp('^[0-9a-f]{64}$'),
      });
    });
  });
});
