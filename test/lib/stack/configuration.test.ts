import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ACCEPT_OFFSET_GAPS_ENV } from '../../../contracts/functions.js';
import { synthesize } from '../synth.js';
import { databaseSecurityGroup, ingressRulesOf, only, type Resources } from './template-queries.js';

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
