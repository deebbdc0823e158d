import { describe, expect, it } from 'vitest';
import { type CfnTemplate, findPlaintextPasswords, findWildcardResources } from '../template-checks.js';

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
