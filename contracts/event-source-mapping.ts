/**
 * What the MSK event source mapping promises the aggregator, shared by the stack, the config's
 * validation and the local emulator, which must not hand the handler more than AWS would.
 */

/** The most records an MSK event source mapping puts in one invocation (its BatchSize limit). */
export const MSK_MAX_BATCH_SIZE = 10_000;

/** Lambda's synchronous invocation payload limit, which caps an MSK event: 6 MB. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;

/** The aggregator's Kafka consumer group: the mapping's, in AWS and in the local runtime. */
export const AGGREGATOR_CONSUMER_GROUP_ID = 'treasury-stream-aggregator';

/**
 * The consumer group the recovery reads the topic with: its own, beside the mapping's (whose committed
 * offsets it only reads), so that it never moves them. It commits nothing.
 */
export function recoveryGroupId(mappingGroupId: string): string {
  return `${mappingGroupId}-recovery`;
}
