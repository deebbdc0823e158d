import { Logger } from '@aws-lambda-powertools/logger';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { type Admin, ConfigResourceTypes } from 'kafkajs';
import { createKafka, readKafkaSource } from '../adapters/kafka-client.js';
import { mergedTopicConfig, planTopic, readTopicSpec, type TopicSpec, topicConfigEntries } from './plan.js';

// Configuration is read once per container; a missing setting fails with its name.
const kafkaSource = readKafkaSource(process.env);
const logger = new Logger({ serviceName: 'topic-setup' });

async function partitionCount(admin: Admin, topic: string): Promise<number | undefined> {
  // listTopics answers with the topics this role may describe: ours, if it exists.
  if (!(await admin.listTopics()).includes(topic)) return undefined;
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  return metadata.topics.find((t) => t.name === topic)?.partitions.length;
}

/**
 * The topic's settings made what the stack declares, the topic's other settings kept (see
 * mergedTopicConfig): Describe then Alter, both with DescribeTopicDynamicConfiguration and
 * AlterTopicDynamicConfiguration on the topic.
 */
async function applyTopicConfig(admin: Admin, spec: TopicSpec): Promise<void> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.topic }],
  });
  const configEntries = mergedTopicConfig(
    described.resources[0]?.configEntries ?? [],
    topicConfigEntries(spec),
  );
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.topic, configEntries }],
  });
}

/**
 * CloudFormation custom resource (through the CDK Provider): creates the topic, or sets its
 * configuration and adds the partitions it lacks. On delete the topic is left alone: it may hold
 * records not yet aggregated, and it goes with the cluster.
 */
export async function handler(event: CdkCustomResourceEvent): Promise<CdkCustomResourceResponse> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const spec = readTopicSpec(event.ResourceProperties);
  const admin = (await createKafka(kafkaSource, 'treasury-stream-topic-setup')).admin();
  await admin.connect();
  try {
    const existing = await partitionCount(admin, spec.topic);
    const plan = planTopic(spec, existing, event.RequestType);
    if (plan.action === 'create') {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.partitions,
            replicationFactor: spec.replicationFactor,
            configEntries: topicConfigEntries(spec),
          },
        ],
      });
    } else {
      // Settings first: if they fail, the update fails before the one change Kafka cannot undo.
      // A topic created before a setting was added gets it too.
      await applyTopicConfig(admin, spec);
      if (plan.action === 'add-partitions') {
        await admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: plan.to }] });
      }
      if (plan.action === 'keep-partitions') {
        logger.warn('topic keeps its partitions: Kafka cannot remove them', {
          topic: spec.topic,
          partitions: plan.have,
          asked: plan.asked,
          // A rollback of a partition increase sends the old, smaller count; so does a lowered setting.
          oldPartitions: event.RequestType === 'Update' ? event.OldResourceProperties.Partitions : undefined,
        });
      }
    }
    logger.info('topic ready', { ...spec, plan });
    const partitions = plan.action === 'keep-partitions' ? plan.have : spec.partitions;
    return {
      // The topic's name is its identity: a new name is a new topic (the old one is kept, see above).
      PhysicalResourceId: spec.topic,
      Data: { Topic: spec.topic, Partitions: String(partitions) },
    };
  } finally {
    await admin.disconnect();
  }
}
