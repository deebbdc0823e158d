import { describe, expect, it } from 'vitest';
import { AGGREGATOR_CONSUMER_GROUP_ID } from '../../../contracts/event-source-mapping.js';
import { readRecoveryRequest, readRecoveryTarget } from '../../../lambda/recovery/settings.js';

describe('the recovery settings', () => {
  it('takes the cluster ARN as the event source, the default group, and the topic', () => {
    expect(readRecoveryTarget({ MSK_CLUSTER_ARN: 'arn:c', TOPIC: 'transaction' })).toEqual({
      eventSource: 'arn:c',
      topic: 'transaction',
      groupId: AGGREGATOR_CONSUMER_GROUP_ID,
    });
    expect(
      readRecoveryTarget({
        EVENT_SOURCE_ARN: 'arn:e',
        MSK_CLUSTER_ARN: 'arn:c',
        TOPIC: 't',
        CONSUMER_GROUP_ID: 'g',
      }),
    ).toEqual({ eventSource: 'arn:e', topic: 't', groupId: 'g' });
  });

  it('names what is missing', () => {
    expect(() => readRecoveryTarget({ TOPIC: 't' })).toThrow(/^EVENT_SOURCE_ARN is not set/);
    expect(() => readRecoveryTarget({ MSK_CLUSTER_ARN: 'arn:c' })).toThrow(/^TOPIC is not set/);
  });

  it('recovers on {} and accepts a loss only with a reason', () => {
    expect(readRecoveryRequest({})).toEqual({});
    expect(readRecoveryRequest(undefined)).toEqual({});
    expect(readRecoveryRequest({ acceptLoss: { reason: ' retention ran out ' } })).toEqual({
      acceptLoss: { reason: 'retention ran out' },
    });
    expect(() => readRecoveryRequest({ acceptLoss: {} })).toThrow(/acceptLoss needs a reason/);
    expect(() => readRecoveryRequest({ acceptLoss: { reason: '  ' } })).toThrow(/acceptLoss needs a reason/);
    expect(() => readRecoveryRequest('go')).toThrow(/takes \{\}/);
    expect(readRecoveryRequest({ fillGaps: true })).toEqual({ fillGaps: true });
    expect(() => readRecoveryRequest({ fillGaps: 'yes' })).toThrow(/fillGaps is true or absent/);
    expect(() => readRecoveryRequest({ fillGaps: true, acceptLoss: { reason: 'r' } })).toThrow(
      /without acceptLoss/,
    );
  });
});
