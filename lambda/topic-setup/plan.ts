import { durabilitySettings } from '../../contracts/topic.js';

/** What the topic custom resource asks for, parsed from its CloudFormation properties. */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

export type TopicPlan =
  | { readonly action: 'create' }
  | { readonly action: 'add-partitions'; readonly from: number; readonly to: number }
  | { readonly action: 'keep-partitions'; readonly have: number; readonly asked: number }
  | { readonly action: 'none' };

/** The topic's configuration entries, as kafkajs takes them: set on creation and on every update. */
export function topicConfigEntries(spec: TopicSpec): { name: string; value: string }[] {
  return Object.entries(durabilitySettings(spec.minInsyncReplicas)).map(([name, value]) => ({ name, value }));
}

export class TopicSpecError extends Error {
  override readonly name = 'TopicSpecError';
}

function positiveInteger(properties: Readonly<Record<string, unknown>>, name: string): number {
  // CloudFormation passes every custom resource property as a string.
  const raw = properties[name];
  const value = Number(raw);
  if (raw === undefined || raw === '' || !Number.isInteger(value) || value < 1) {
    throw new TopicSpecError(`property ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function readTopicSpec(properties: Readonly<Record<string, unknown>>): TopicSpec {
  const topic = properties.Topic;
  if (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
    throw new TopicSpecError(`property Topic must be a Kafka topic name, got ${JSON.stringify(topic)}`);
  }
  const spec = {
    topic,
    partitions: positiveInteger(properties, 'Partitions'),
    replicationFactor: positiveInteger(properties, 'ReplicationFactor'),
    minInsyncReplicas: positiveInteger(properties, 'MinInsyncReplicas'),
  };
  if (spec.minInsyncReplicas > spec.replicationFactor) {
    throw new TopicSpecError(
      `MinInsyncReplicas (${spec.minInsyncReplicas}) exceeds ReplicationFactor (${spec.replicationFactor}): ` +
        'no write could ever succeed',
    );
  }
  return spec;
}

/**
 * Decides what to do given the partitions the topic has now (undefined: it does not exist).
 * Kafka can add partitions but never remove them. An Update that asks for fewer than the topic has
 * is what CloudFormation sends when it rolls back a partition increase (the old properties): it must
 * succeed, or the stack ends in UPDATE_ROLLBACK_FAILED. A deliberate decrease looks exactly the same,
 * so both keep the partitions the topic has ('keep-partitions', which the handler logs as a warning).
 * A Create never rolls anything back: there, a topic with more partitions than asked is an error.
 * An existing topic's replication factor is left as it is: changing it is a partition reassignment,
 * an operator's job.
 */
export function planTopic(
  spec: TopicSpec,
  existingPartitions: number | undefined,
  requestType: 'Create' | 'Update',
): TopicPlan {
  if (existingPartitions === undefined) return { action: 'create' };
  if (existingPartitions < spec.partitions) {
    return { action: 'add-partitions', from: existingPartitions, to: spec.partitions };
  }
  if (existingPartitions > spec.partitions) {
    if (requestType === 'Update') {
      return { action: 'keep-partitions', have: existingPartitions, asked: spec.partitions };
    }
    throw new TopicSpecError(
      `topic ${spec.topic} has ${existingPartitions} partitions; Kafka cannot reduce them to ${spec.partitions}`,
    );
  }
  return { action: 'none' };
}

/** A topic configuration entry as Kafka describes it (kafkajs's DescribeConfigs answer). */
export interface DescribedConfigEntry {
  readonly configName: string;
  readonly configValue: string | null;
  /** kafkajs's ConfigSource: 1 is TOPIC_CONFIG, a setting of this topic (not a broker default). */
  readonly configSource?: number;
  readonly isDefault?: boolean;
  readonly isSensitive?: boolean;
}

const TOPIC_CONFIG_SOURCE = 1;

/**
 * The whole dynamic configuration to write back: the topic's own settings as they are (an operator's
 * retention.ms, say), with the stack's settings over them. kafkajs 2.2.4 offers only the legacy
 * AlterConfigs, which replaces the topic's whole dynamic configuration (what it does not name goes
 * back to the broker default); IncrementalAlterConfigs is not in its admin API. So the handler
 * describes the configuration first and writes the full set. A setting the stack stops declaring
 * is kept like an operator's: nothing tells the two apart.
 */
export function mergedTopicConfig(
  current: readonly DescribedConfigEntry[],
  declared: readonly { name: string; value: string }[],
): { name: string; value: string }[] {
  const merged = new Map<string, string>();
  for (const entry of current) {
    const own =
      entry.configSource === undefined
        ? entry.isDefault === false
        : entry.configSource === TOPIC_CONFIG_SOURCE;
    if (!own) continue;
    if (entry.isSensitive || entry.configValue === null) {
      // Kafka never returns a sensitive value, so writing the set back would erase it.
      throw new TopicSpecError(
        `topic setting ${entry.configName} is sensitive and cannot be read back; set the topic's configuration by hand`,
      );
    }
    merged.set(entry.configName, entry.configValue);
  }
  for (const { name, value } of declared) merged.set(name, value);
  return [...merged].map(([name, value]) => ({ name, value }));
}
