import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { MSK_EXCLUDED_ZONE_IDS } from '../../contracts/msk-offerings.js';
import { synthesize } from './synth.js';

type Resource = {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  Condition?: string;
};
type Template = { Resources: Record<string, Resource>; Conditions?: Record<string, unknown> };

const json = (context: Record<string, unknown> = {}) => synthesize({ context }).template.toJSON() as Template;

/** The zone a subnet lands in, for a region: its zone ID if it gets one there, else "by name". */
function zoneIn(template: Template, subnet: Resource, region: string): string {
  const evaluate = (value: unknown): unknown => {
    const v = value as Record<string, unknown[]> | undefined;
    if (v?.['Fn::If']) {
      const [condition, then, otherwise] = v['Fn::If'] as [string, unknown, unknown];
      const equals = template.Conditions?.[condition] as { 'Fn::Equals': unknown[] } | undefined;
      const [left, right] = equals?.['Fn::Equals'] ?? [];
      const holds = (left as { Ref?: string }).Ref === 'AWS::Region' && right === region;
      return evaluate(holds ? then : otherwise);
    }
    if ((value as { Ref?: string } | undefined)?.Ref === 'AWS::NoValue') return undefined;
    return value;
  };
  const id = evaluate(subnet.Properties?.AvailabilityZoneId);
  if (typeof id === 'string') return id;
  return evaluate(subnet.Properties?.AvailabilityZone) === undefined ? 'none' : 'by name';
}

function subnets(template: Template): Resource[] {
  return Object.values(template.Resources).filter((r) => r.Type === 'AWS::EC2::Subnet');
}

/** Logical ids a value refers to (Ref, Fn::GetAtt), anywhere in it. */
function references(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) references(v, found);
  else if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') found.add(v.Ref);
    if (Array.isArray(v['Fn::GetAtt'])) found.add(String(v['Fn::GetAtt'][0]));
    for (const child of Object.values(v)) references(child, found);
  }
  return found;
}

/** Resources that stay on delete yet refer to one that CloudFormation would delete (it could not). */
function retainedOnDeleted(template: Template): string[] {
  const problems: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.DeletionPolicy !== 'Retain') continue;
    for (const target of references(resource.Properties)) {
      const other = template.Resources[target];
      if (other && other.DeletionPolicy !== 'Retain') problems.push(`${id} -> ${target} (${other.Type})`);
    }
  }
  return problems;
}

describe('deploying (A1: zones)', () => {
  it('never places a subnet in use1-az3 in us-east-1: subnets go by zone ID there', () => {
    const template = json();

    const zones = subnets(template).map((s) => zoneIn(template, s, 'us-east-1'));

    expect(zones).toEqual(['use1-az1', 'use1-az2', 'use1-az1', 'use1-az2']);
    for (const zone of zones) expect(MSK_EXCLUDED_ZONE_IDS).not.toContain(zone);
    expect(subnets(template).map((s) => zoneIn(template, s, 'eu-west-1'))).toEqual(Array(4).fill('by name'));
  });

  it('places subnets in the zones the operator names by ID, in three zones for the production sizing', () => {
    const template = json({ zones: '3', availabilityZoneIds: 'euw1-az3,euw1-az1,euw1-az2' });

    expect(subnets(template).map((s) => s.Properties?.AvailabilityZoneId)).toEqual([
      'euw1-az3',
      'euw1-az1',
      'euw1-az2',
      'euw1-az3',
      'euw1-az1',
      'euw1-az2',
    ]);
    for (const subnet of subnets(template)) expect(subnet.Properties?.AvailabilityZone).toBeUndefined();
    const cluster = Object.values(template.Resources).find((r) => r.Type === 'AWS::MSK::Cluster');
    expect(cluster?.Properties).toMatchObject({
      NumberOfBrokerNodes: 3,
      BrokerNodeGroupInfo: { ClientSubnets: [{}, {}, {}] },
    });
  });
});

describe('redeploying (A2: names)', () => {
  const clusterName = (context: Record<string, unknown> = {}) =>
    JSON.stringify(
      Object.values(json(context).Resources).find((r) => r.Type === 'AWS::MSK::Cluster')?.Properties
        ?.ClusterName,
    );

  it('names the cluster after the stack instance, so a new stack never meets a retained cluster', () => {
    expect(clusterName()).toContain('"Ref":"AWS::StackId"');
    synthesize().template.hasResourceProperties('AWS::MSK::Configuration', {
      Name: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
  });

  // A zone change renames the cluster, but it cannot complete in place: the replacement subnets
  // overlap the old ones (N3, DEPLOY.md "Changes that need a new stack"). The new name is for the new
  // stack such a change is deployed as.
  it('renames the cluster when a change would replace it, and only then', () => {
    const usual = clusterName();

    expect(clusterName()).toBe(usual);
    expect(clusterName({ brokerInstanceType: 'kafka.m7g.large', kafkaVersion: '3.8.x' })).toBe(usual);
    expect(clusterName({ availabilityZoneIds: 'use1-az1,use1-az2' })).not.toBe(usual);
    expect(clusterName({ zones: '3' })).not.toBe(usual);
  });
});

describe('destroying (A3: retained and deleted parts agree)', () => {
  it('keeps, with a retained cluster, the subnets, security group and VPC its interfaces stay in', () => {
    const template = json();

    expect(retainedOnDeleted(template)).toEqual([]);
    const retainedTypes = new Set(
      Object.values(template.Resources)
        .filter((r) => r.DeletionPolicy === 'Retain')
        .map((r) => r.Type),
    );
    for (const type of [
      'AWS::MSK::Cluster',
      'AWS::MSK::Configuration',
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::SecurityGroup',
    ]) {
      expect(retainedTypes).toContain(type);
    }
  });

  it('finds a retained resource that refers to a deleted one (the check itself)', () => {
    const broken: Template = {
      Resources: {
        Cluster: {
          Type: 'AWS::MSK::Cluster',
          DeletionPolicy: 'Retain',
          Properties: { Sg: { 'Fn::GetAtt': ['Sg', 'GroupId'] } },
        },
        Sg: { Type: 'AWS::EC2::SecurityGroup', DeletionPolicy: 'Delete' },
      },
    };

    expect(retainedOnDeleted(broken)).toEqual(['Cluster -> Sg (AWS::EC2::SecurityGroup)']);
  });

  it('retains nothing when the operator opts in to destroy', () => {
    const template = json({ destroyOnRemoval: 'true' });

    expect(
      Object.entries(template.Resources)
        .filter(([, r]) => r.DeletionPolicy === 'Retain')
        .map(([id]) => id),
    ).toEqual([]);
  });
});

describe('running (B1, B2, B3)', () => {
  it('never repeats a producer run: no asynchronous retries, events older than a minute dropped', () => {
    synthesize().template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
      Qualifier: '$LATEST',
    });
  });

  it('turns unclean leader election off for the topic and the brokers', () => {
    const { template } = synthesize();

    template.hasResourceProperties('Custom::KafkaTopic', {
      Settings: { 'unclean.leader.election.enable': 'false', 'min.insync.replicas': '1' },
    });
    template.hasResourceProperties('AWS::MSK::Configuration', {
      ServerProperties: Match.stringLikeRegexp('unclean\\.leader\\.election\\.enable=false'),
    });
    const cluster = Object.values(template.toJSON().Resources as Record<string, Resource>).find(
      (r) => r.Type === 'AWS::MSK::Cluster',
    );
    expect(JSON.stringify(cluster?.Properties?.ConfigurationInfo)).toContain('LatestRevision.Revision');
  });

  it('sizes for production with zones=3: three brokers, replication factor 3, two in sync', () => {
    const { template } = synthesize({ context: { zones: '3' } });

    template.hasResourceProperties('Custom::KafkaTopic', { ReplicationFactor: 3, MinInsyncReplicas: 2 });
    template.hasResourceProperties('AWS::MSK::Configuration', {
      ServerProperties: Match.stringLikeRegexp('min\\.insync\\.replicas=2'),
    });
  });

  it('alarms on a stall, on lag and on failed rotations', () => {
    const alarms = Object.values(json().Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    const described = (pattern: RegExp) =>
      alarms.filter((a) => pattern.test(String(a.Properties?.AlarmDescription)));

    const [stall] = described(/pipeline is stalled/);
    expect(JSON.stringify(stall?.Properties?.Metrics)).toContain(
      'IF(FILL(produced, 0) > 0 AND FILL(applied, 0) == 0, 1, 0)',
    );
    // Missing lag is not an alarm (N10: no document says Lambda reports lag for an idle topic).
    expect(described(/falling behind the topic/)[0]?.Properties?.TreatMissingData).toBe('notBreaching');
    const rotations = described(/secret rotation failed/);
    expect(rotations).toHaveLength(3);
    for (const alarm of rotations)
      expect(JSON.stringify(alarm.Properties)).toContain('Outputs.RotationLambdaARN');
  });
});
