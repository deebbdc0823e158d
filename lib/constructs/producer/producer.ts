import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { producerFunction } from '../../../contracts/functions.js';
import type { LogSettings, ProducerSettings } from '../../../contracts/settings.js';
import { definedFunctionProps, PipelineFunction } from '../common/pipeline-function.js';
import type { IPipelineNetwork } from '../network/network.js';
import type { IPipelineTopic } from '../streaming/streaming.js';

export interface ProducerProps {
  readonly network: IPipelineNetwork;
  readonly streaming: IPipelineTopic;
  /** The rate, and the seconds each run sends for (below a minute so that runs do not overlap). */
  readonly settings: ProducerSettings;
  readonly logs: LogSettings;
}

/** The producer handler, run once a minute by an EventBridge schedule, writing random deals to the topic. */
export class Producer extends Construct {
  public readonly handler: PipelineFunction;
  public readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: ProducerProps) {
    super(scope, id);
    const { network, streaming, settings } = props;

    this.handler = new PipelineFunction(this, 'Handler', {
      ...definedFunctionProps(
        producerFunction({
          ratePerSecond: settings.producerRatePerSecond,
          durationSeconds: settings.producerDurationSeconds,
        }),
        { MSK_CLUSTER_ARN: streaming.clusterArn, TOPIC: streaming.topic },
      ),
      vpc: network.vpc,
      vpcSubnets: network.applicationSubnets,
      logRetentionDays: props.logs.logRetentionDays,
    });
    // EventBridge invokes asynchronously, and Lambda itself retries a failed asynchronous run twice
    // (timeouts included) 1 and 3 minutes later, over the next runs: a run is never repeated.
    // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
    this.handler.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    streaming.connections.allowDefaultPortFrom(this.handler, 'Producer to the brokers (SASL/IAM over TLS)');
    network.allowEndpointsFrom(this.handler);
    streaming.grantProduce(this.handler.function, streaming.topic);

    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: 'Runs the deal producer once a minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.handler.function, {
          // A missed minute is not sent late: a retry would overlap the next run and double the rate.
          retryAttempts: 0,
          maxEventAge: Duration.minutes(1),
        }),
      ],
    });
    // Nothing is sent before the topic exists (the brokers do not create topics on first write)
    // and before the function's network rules do.
    this.schedule.node.addDependency(streaming.topicResource, this.handler.securityGroup);
  }
}
