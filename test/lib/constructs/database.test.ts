import { describe, expect, it } from 'vitest';
import { bare } from './bare-stack.js';

describe('Database, built alone', () => {
  it('builds the instance its settings size, the three secrets and the schema resource', () => {
    const { template } = bare.database({
      database: { databaseInstanceType: 'r6g.large', databaseStorageGiB: 100, databaseBackupDays: 14 },
    });

    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.r6g.large',
      AllocatedStorage: '100',
      MaxAllocatedStorage: 500,
      BackupRetentionPeriod: 14,
    });
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    template.resourceCountIs('Custom::DatabaseSchema', 1);
  });

  it('lets in on 5432 the SQL client networks of its settings, and no other address', () => {
    const { template } = bare.database({ database: { sqlClientCidrs: ['10.8.0.0/16'] } });
    const cidrs = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .concat(
        Object.values(template.findResources('AWS::EC2::SecurityGroup')).flatMap(
          (group) => group.Properties.SecurityGroupIngress ?? [],
        ),
      )
      .map((rule) => rule.Properties?.CidrIp ?? rule.CidrIp)
      .filter((cidr) => cidr !== undefined);

    expect(cidrs).toEqual(['10.8.0.0/16']);
  });
});
