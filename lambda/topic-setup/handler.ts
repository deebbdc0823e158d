import { Logger } from '@aws-lambda-powertools/logger';
import type { CdkCustomResourceEvent, CdkCustomResourceResponse } from 'aws-lambda';
import { type Admin, ConfigResourceTypes } from 'kafkajs';
import { createKafka, readKafkaSource } from '../adapters/kafka-client.js';
import { planTopic, readTopicSpec, topicConfigEntries } from './plan.js';

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
 * CloudFormation custom resource (through the CDK Provider): creates the topic, or adds the
 * partitions it lacks and sets its configuration. On delete the topic is left alone: it may hold records not yet aggregated,
 * and it goes with the cluster.
 */
export async function handler(event: CdkCustomResourceEvent): Promise<CdkCustomResourceResponse> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };

  const spec = readTopicSpec(event.ResourceProperties);
  const admin = (await createKafka(kafkaSource, 'treasury-stream-topic-setup')).admin();
  await admin.connect();
  try {
    const existing = await partitionCount(admin, spec.topic);
    const plan = planTopic(spec, existing);
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
      if (plan.action === 'add-partitions') {
        await admin.createPartitions({ topicPartitions: [{ topic: spec.topic, count: plan.to }] });
      }
      // A topic created before a setting was added gets it too. AlterConfigs replaces the topic's
      // whole dynamic configuration, so the declared entries are all there is.
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: spec.topic, configEntries: topicConfigEntries(spec) },
        ],
      });
    }
    logger.info('topic ready', { ...spec, plan });
    return {
      // The topic's name is its identity: a new name is a new topic (the old one is kept, see above).
      PhysicalResourceId: spec.topic,
      Data: { Topic: spec.topic, Partitions: String(spec.partitions) },
    };
  } finally {
    await admin.disconnect();
  }
}
