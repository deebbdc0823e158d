import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contracts/config-error.js';
import { DEFAULT_SETTINGS } from '../../contracts/settings.js';
import { type ContextSource, readSettings } from '../../lib/read-context.js';

const context = (values: Record<string, unknown>): ContextSource => ({ tryGetContext: (key) => values[key] });

describe('the settings read from CDK context', () => {
  it('defaults to a small bill: two t3.small brokers, a t4g.micro database, on-demand polling', () => {
    const settings = readSettings(context({}));

    expect(settings).toEqual(DEFAULT_SETTINGS);
    expect(settings).toMatchObject({
      streaming: { brokerInstanceType: 'kafka.t3.small', brokerCount: 2, kafkaVersion: '3.9.x' },
      database: { databaseInstanceType: 't4g.micro', sqlClientCidrs: [] },
      mapping: { aggregatorBatchingWindowSeconds: 2 },
      lifecycle: { destroyOnRemoval: false },
    });
    expect(settings.mapping.provisionedPollers).toBeUndefined();
  });

  it('derives four defaults from the settings they follow', () => {
    const settings = readSettings(
      context({ stackName: 'Treasury-Test', zones: '3', databaseBackupDays: '14', topicPartitions: '12' }),
    );

    expect(settings.streaming.brokerCount).toBe(3);
    expect(settings.streaming.kafkaRetentionHours).toBe((14 + 3) * 24);
    expect(settings.mapping.aggregatorReservedConcurrency).toBe(12);
    expect(settings.mapping.consumerGroupId).toBe('Treasury-Test-aggregator');
  });

  it('reads -c strings and cdk.json values alike', () => {
    const fromCli = readSettings(
      context({ brokerCount: '4', databaseMultiAz: 'true', sqlClientCidrs: '10.0.0.0/16, 10.1.0.0/16' }),
    );
    const fromJson = readSettings(
      context({ brokerCount: 4, databaseMultiAz: true, sqlClientCidrs: ['10.0.0.0/16', '10.1.0.0/16'] }),
    );

    expect(fromCli).toEqual(fromJson);
    expect(fromCli).toMatchObject({
      streaming: { brokerCount: 4 },
      database: { databaseMultiAz: true, sqlClientCidrs: ['10.0.0.0/16', '10.1.0.0/16'] },
    });
  });

  it('takes provisioned pollers as a pair', () => {
    expect(
      readSettings(context({ minimumPollers: '1', maximumPollers: '3' })).mapping.provisionedPollers,
    ).toEqual({
      minimum: 1,
      maximum: 3,
    });
    expect(() => readSettings(context({ minimumPollers: '1' }))).toThrow(/go together/);
    expect(() => readSettings(context({ minimumPollers: '4', maximumPollers: '3' }))).toThrow(
      /must not exceed/,
    );
  });

  it('refuses offset gaps in on-demand mode unless told, accepts them in provisioned mode', () => {
    const provisioned = { minimumPollers: '1', maximumPollers: '3' };
    expect(readSettings(context({})).mapping.acceptOffsetGaps).toBe(false);
    expect(readSettings(context({ acceptOffsetGaps: 'true' })).mapping.acceptOffsetGaps).toBe(true);
    expect(readSettings(context(provisioned)).mapping.acceptOffsetGaps).toBe(true);
    expect(() => readSettings(context({ ...provisioned, acceptOffsetGaps: 'false' }))).toThrow(
      /acceptOffsetGaps=false cannot go with minimumPollers/,
    );
  });

  it.each([
    [{ brokerCount: '3' }, /brokerCount must be a multiple of 2/],
    [{ brokerCount: 'two' }, /brokerCount must be an integer/],
    [{ sqlClientCidrs: '0.0.0.0/0' }, /wider than \/8/],
    [{ sqlClientCidrs: '10.0.0.300/16' }, /not an IPv4 CIDR/],
    [{ destroyOnRemoval: 'yes' }, /destroyOnRemoval must be true or false/],
    [{ logRetentionDays: '10' }, /logRetentionDays must be one of/],
    [{ kafkaVersion: 'latest' }, /kafkaVersion must be one of 3\.7\.x, .*3\.9\.x\.kraft/],
    // Well-formed, but MSK offers neither (cfn-lint lets both through).
    [{ kafkaVersion: '3.9.9' }, /kafkaVersion must be one of/],
    [{ brokerInstanceType: 'kafka.t3.smallx' }, /brokerInstanceType must be one of kafka\.t3\.small, /],
    [{ brokerInstanceType: 'express.m7g.large' }, /brokerInstanceType must be one of/],
    [{ zones: '4' }, /zones must be an integer from 2 to 3/],
    [{ zones: '3', brokerCount: '4' }, /brokerCount must be a multiple of 3/],
    [{ availabilityZoneIds: 'use1-az1,use1-az3' }, /MSK accepts no client subnets in use1-az3/],
    [{ availabilityZoneIds: 'use1-az1' }, /must name 2 distinct zones/],
    [{ availabilityZoneIds: 'us-east-1a,us-east-1b' }, /is not a zone ID/],
    [
      { aggregatorBatchingWindowSeconds: '301' },
      /aggregatorBatchingWindowSeconds must be an integer from 0 to 300/,
    ],
    [{ alarmEmail: 'ops' }, /alarmEmail must be an e-mail address/],
    [{ acceptOffsetGaps: 'yes' }, /acceptOffsetGaps must be true or false/],
    [{ producerRatePerSecond: '0' }, /producerRatePerSecond must be a number above 0 to 100000/],
    [{ stackName: '1st' }, /stackName must be a stack name/],
  ])('refuses %j with a ConfigError naming the key', (values, message) => {
    expect(() => readSettings(context(values))).toThrow(message);
    expect(() => readSettings(context(values))).toThrow(ConfigError);
  });

  it('offers the production sizing: three zones, three brokers by default, zones by ID', () => {
    const settings = readSettings(context({ zones: '3', availabilityZoneIds: 'euw1-az1,euw1-az2,euw1-az3' }));

    expect(settings).toMatchObject({
      network: { zones: 3, availabilityZoneIds: ['euw1-az1', 'euw1-az2', 'euw1-az3'] },
      streaming: { brokerCount: 3 },
    });
    expect(
      readSettings(context({ kafkaVersion: '3.8.x.kraft', brokerInstanceType: 'kafka.m7g.large' })),
    ).toMatchObject({ streaming: { kafkaVersion: '3.8.x.kraft', brokerInstanceType: 'kafka.m7g.large' } });
  });
});
