import type { CdkCustomResourceEvent } from 'aws-lambda';
import { ConfigResourceTypes, ConfigSource } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { topicSetupFunction } from '../../../contracts/functions.js';
import { durabilitySettings } from '../../../contracts/topic.js';
import { FunctionError } from '../../../local/lambda-runtime/execution-environment.js';
import { testKafka } from '../support/kafka.js';
import { uniqueTopic } from '../support/test-database.js';
import { startTestFunction, type TestFunction } from '../support/test-function.js';

let setup: TestFunction;

beforeAll(async () => {
  setup = await startTestFunction({
    definition: topicSetupFunction(),
    localEnvironment: { KAFKA_BROKERS: inject('kafkaBrokers') },
    maxConcurrency: 1,
  });
});

afterAll(async () => {
  await setup?.stop();
});

/** The event the CDK Provider framework's onEvent handler gets; CloudFormation sends properties as strings. */
function customResourceEvent(
  requestType: 'Create' | 'Update',
  properties: Record<string, string>,
): CdkCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:local:000000000000:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response.invalid/',
    StackId: 'arn:aws:cloudformation:local:000000000000:stack/TreasuryStream/1',
    RequestId: crypto.randomUUID(),
    LogicalResourceId: 'StreamingTopic',
    ResourceType: 'Custom::KafkaTopic',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:local:000000000000:function:provider',
      ...properties,
    },
  };
  return requestType === 'Create'
    ? { ...common, RequestType: 'Create' }
    : {
        ...common,
        RequestType: 'Update',
        PhysicalResourceId: properties.Topic ?? '',
        OldResourceProperties: common.ResourceProperties,
      };
}

async function topicState(topic: string): Promise<{ partitions: number; config: Record<string, string> }> {
  const admin = testKafka(inject('kafkaBrokers')).admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configNames: [...Object.keys(durabilitySettings(1)), 'retention.ms'],
        },
      ],
    });
    // Only the topic's own settings: retention.ms is otherwise the broker default.
    const entries = (described.resources[0]?.configEntries ?? []).filter(
      (entry) => entry.configSource === ConfigSource.TOPIC_CONFIG,
    );
    return {
      partitions: metadata.topics[0]?.partitions.length ?? 0,
      config: Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue])),
    };
  } finally {
    await admin.disconnect();
  }
}

describe('the topic-setup custom resource under the Lambda runtime emulator and aws-lambda-ric', () => {
  it('creates the topic with its durability settings, then adds partitions on update, answering JSON', async () => {
    const topic = uniqueTopic('setup');
    const spec = { Topic: topic, ReplicationFactor: '1', MinInsyncReplicas: '1' };

    // Act
    const created = await setup.invoke(customResourceEvent('Create', { ...spec, Partitions: '3' }));
    const afterCreate = await topicState(topic);
    const updated = await setup.invoke(customResourceEvent('Update', { ...spec, Partitions: '4' }));

    // Assess
    expect(created).toMatchObject({ PhysicalResourceId: topic });
    expect(updated).toMatchObject({ PhysicalResourceId: topic });
    expect(afterCreate).toEqual({ partitions: 3, config: durabilitySettings(1) });
    expect(await topicState(topic)).toEqual({ partitions: 4, config: durabilitySettings(1) });
  });

  it("keeps an operator's topic setting and the partitions on an update that asks for fewer (a rollback)", async () => {
    const topic = uniqueTopic('setup');
    const spec = { Topic: topic, ReplicationFactor: '1', MinInsyncReplicas: '1' };
    await setup.invoke(customResourceEvent('Create', { ...spec, Partitions: '3' }));
    const admin = testKafka(inject('kafkaBrokers')).admin();
    await admin.connect();
    const operatorSettings = [
      ...Object.entries(durabilitySettings(1)).map(([name, value]) => ({ name, value })),
      { name: 'retention.ms', value: '1209600000' },
    ];
    await admin
      .alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: operatorSettings }],
      })
      .finally(() => admin.disconnect());
    await setup.invoke(customResourceEvent('Update', { ...spec, Partitions: '4' }));

    // Act: CloudFormation rolls the increase back, sending the old count.
    const rolledBack = await setup.invoke(customResourceEvent('Update', { ...spec, Partitions: '3' }));

    // Assess
    expect(rolledBack).toMatchObject({ PhysicalResourceId: topic, Data: { Partitions: '4' } });
    expect(await topicState(topic)).toEqual({
      partitions: 4,
      config: { ...durabilitySettings(1), 'retention.ms': '1209600000' },
    });
  });

  it('answers an errorType document for a create that meets the topic with more partitions, and changes nothing', async () => {
    const topic = uniqueTopic('setup');
    const spec = { Topic: topic, ReplicationFactor: '1', MinInsyncReplicas: '1' };
    await setup.invoke(customResourceEvent('Create', { ...spec, Partitions: '3' }));

    // Act
    const attempt = setup.invoke(customResourceEvent('Create', { ...spec, Partitions: '2' }));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(FunctionError);
    expect((await topicState(topic)).partitions).toBe(3);
  });
});
