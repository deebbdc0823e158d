/**
 * Each construct built in a stack of its own with only what it takes (the constructs it is given
 * and its slices of the settings), so that a construct's test sees its resources and nothing else.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_SETTINGS, type PipelineSettings } from '../../../contracts/settings.js';
import { Aggregator } from '../../../lib/constructs/aggregator/aggregator.js';
import { Database } from '../../../lib/constructs/database/database.js';
import { Network } from '../../../lib/constructs/network/network.js';
import { Observability } from '../../../lib/constructs/observability/observability.js';
import { Producer } from '../../../lib/constructs/producer/producer.js';
import { Recovery } from '../../../lib/constructs/recovery/recovery.js';
import { Streaming } from '../../../lib/constructs/streaming/streaming.js';
import { CDK_JSON_CONTEXT } from '../synth.js';

/** Settings with some groups changed: the defaults for the rest. */
export type SettingsChange = { readonly [G in keyof PipelineSettings]?: Partial<PipelineSettings[G]> };

function settingsWith(change: SettingsChange): PipelineSettings {
  const d = DEFAULT_SETTINGS;
  return {
    stackName: d.stackName,
    network: { ...d.network, ...change.network },
    streaming: { ...d.streaming, ...change.streaming },
    mapping: { ...d.mapping, ...change.mapping },
    producer: { ...d.producer, ...change.producer },
    database: { ...d.database, ...change.database },
    alarms: { ...d.alarms, ...change.alarms },
    logs: { ...d.logs, ...change.logs },
    lifecycle: { ...d.lifecycle, ...change.lifecycle },
  };
}

export function bareStack(): Stack {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  return new Stack(app, 'Bare');
}

export interface Built<T> {
  readonly construct: T;
  readonly template: Template;
}

function built<T>(stack: Stack, construct: T): Built<T> {
  return { construct, template: Template.fromStack(stack) };
}

function network(stack: Stack, s: PipelineSettings): Network {
  return new Network(stack, 'Network', { settings: s.network, logs: s.logs, retainApplicationTier: false });
}

function streaming(stack: Stack, s: PipelineSettings, net = network(stack, s)): Streaming {
  return new Streaming(stack, 'Streaming', {
    network: net,
    settings: s.streaming,
    logs: s.logs,
    lifecycle: s.lifecycle,
  });
}

function database(stack: Stack, s: PipelineSettings, net = network(stack, s)): Database {
  return new Database(stack, 'Database', {
    network: net,
    settings: s.database,
    logs: s.logs,
    lifecycle: s.lifecycle,
  });
}

/** The parts the functions need: the network, the cluster and the database. */
function dataPath(stack: Stack, s: PipelineSettings) {
  const net = network(stack, s);
  return { network: net, streaming: streaming(stack, s, net), database: database(stack, s, net) };
}

function aggregator(stack: Stack, s: PipelineSettings, parts = dataPath(stack, s)): Aggregator {
  return new Aggregator(stack, 'Aggregator', {
    ...parts,
    metricsNamespace: 'TreasuryStream/Bare',
    mapping: s.mapping,
    logs: s.logs,
    lifecycle: s.lifecycle,
  });
}

function producer(stack: Stack, s: PipelineSettings, parts = dataPath(stack, s)): Producer {
  return new Producer(stack, 'Producer', { ...parts, settings: s.producer, logs: s.logs });
}

export const bare = {
  network: (change: SettingsChange = {}) => {
    const stack = bareStack();
    return built(stack, network(stack, settingsWith(change)));
  },
  streaming: (change: SettingsChange = {}) => {
    const stack = bareStack();
    return built(stack, streaming(stack, settingsWith(change)));
  },
  database: (change: SettingsChange = {}) => {
    const stack = bareStack();
    return built(stack, database(stack, settingsWith(change)));
  },
  producer: (change: SettingsChange = {}) => {
    const stack = bareStack();
    return built(stack, producer(stack, settingsWith(change)));
  },
  aggregator: (change: SettingsChange = {}) => {
    const stack = bareStack();
    return built(stack, aggregator(stack, settingsWith(change)));
  },
  recovery: (consumerGroupId: string) => {
    const stack = bareStack();
    const s = settingsWith({});
    return built(
      stack,
      new Recovery(stack, 'Recovery', { ...dataPath(stack, s), consumerGroupId, logs: s.logs }),
    );
  },
  observability: (change: SettingsChange = {}) => {
    const stack = bareStack();
    const s = settingsWith(change);
    const parts = dataPath(stack, s);
    const fed = aggregator(stack, s, parts);
    const sending = producer(stack, s, parts);
    return built(
      stack,
      new Observability(stack, 'Observability', {
        producer: sending.handler,
        aggregator: fed.handler,
        database: parts.database.instance,
        clusterName: parts.streaming.clusterName,
        brokerCount: parts.streaming.brokerCount,
        metricsNamespace: 'TreasuryStream/Bare',
        alarms: s.alarms,
      }),
    );
  },
};
