import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  LIMIT_BREACHES_BEGUN_METRIC,
  LIMIT_BREACHES_CLEARED_METRIC,
  LIMIT_BREACHES_OPEN_METRIC,
} from '../../lambda/aggregator/limit-breach.js';
import { denyGrantsOutsideAwsServices } from './key-policy.js';
import type { PipelineFunction } from './pipeline-function.js';

export interface ObservabilityProps {
  readonly producer: PipelineFunction;
  readonly aggregator: PipelineFunction;
  readonly database: rds.IDatabaseInstance;
  /** The secret rotation functions, whose failures leave a secret unrotated. @default none */
  readonly rotationFunctionArns?: readonly string[];
  /** The MSK cluster's name and broker count, for the AWS/Kafka per-broker metrics. */
  readonly clusterName: string;
  readonly brokerCount: number;
  /** Namespace of the aggregator's EMF metrics and of the produced-records metric. */
  readonly metricsNamespace: string;
  /** @default 10000 records */
  readonly lagAlarmThreshold?: number;
  /** @default none */
  readonly alarmEmail?: string;
}

const MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * The operators' dashboard (flow, lag, the aggregator, the database, the brokers) and alarms on
 * lag, errors, rejected records and the health of the database and brokers, sent to an SNS topic.
 */
export class Observability extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  public readonly alarmTopic: sns.Topic;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { producer, aggregator, database, metricsNamespace } = props;
    const aggregatorFn = aggregator.function;

    // CloudWatch can publish only to a topic whose key lets it: an AWS-managed SNS key does not.
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the treasury-stream alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    denyGrantsOutsideAwsServices(topicKey);
    topicKey.grant(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com'),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'treasury-stream alarms',
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (props.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    // The producer logs one "deals sent" line per run with the count: a metric filter counts them.
    const recordsProduced = new logs.MetricFilter(this, 'RecordsProducedFilter', {
      logGroup: producer.logGroup,
      metricNamespace: metricsNamespace,
      metricName: 'RecordsProduced',
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', 'deals sent'),
      metricValue: '$.sent',
      unit: cloudwatch.Unit.COUNT,
    }).metric({ statistic: 'Sum', period: MINUTE, label: 'produced' });

    const aggregatorMetric = (metricName: string, label: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: metricsNamespace,
        metricName,
        dimensionsMap: { service: 'aggregator' },
        statistic: 'Sum',
        period: MINUTE,
        label,
      });
    const received = aggregatorMetric('RecordsReceived', 'received');
    const applied = aggregatorMetric('RecordsApplied', 'applied');
    const rejected = aggregatorMetric('RecordsRejected', 'rejected');
    const redelivered = aggregatorMetric('RecordsSkippedAsRedelivered', 'skipped as redelivered');
    const batchesFailed = aggregatorMetric('BatchesFailed', 'batches failed');
    const breachesBegun = aggregatorMetric(LIMIT_BREACHES_BEGUN_METRIC, 'breaches began');
    const breachesCleared = aggregatorMetric(LIMIT_BREACHES_CLEARED_METRIC, 'breaches cleared');
    const breachesOpen = aggregatorMetric(LIMIT_BREACHES_OPEN_METRIC, 'open breaches').with({
      statistic: 'Maximum',
    });
    const offsetLag = aggregatorFn.metric('OffsetLag', {
      statistic: 'Maximum',
      period: MINUTE,
      label: 'offset lag',
    });

    const brokers = Array.from({ length: props.brokerCount }, (_, i) => String(i + 1));
    const brokerMetric = (metricName: string, broker: string, period = MINUTE): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: 'AWS/Kafka',
        metricName,
        dimensionsMap: { 'Cluster Name': props.clusterName, 'Broker ID': broker },
        statistic: 'Maximum',
        period,
        label: `broker ${broker}`,
      });
    const brokerDiskUsed = new cloudwatch.MathExpression({
      expression: `MAX([${brokers.map((_, i) => `disk${i}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(
        brokers.map((b, i) => [`disk${i}`, brokerMetric('KafkaDataLogsDiskUsed', b, FIVE_MINUTES)]),
      ),
      period: FIVE_MINUTES,
      label: 'fullest broker disk (%)',
    });

    const alarm = (
      id: string,
      description: string,
      options: Omit<cloudwatch.AlarmProps, 'alarmDescription'>,
    ) => {
      const created = new cloudwatch.Alarm(this, id, { alarmDescription: description, ...options });
      created.addAlarmAction(new actions.SnsAction(this.alarmTopic));
      created.addOkAction(new actions.SnsAction(this.alarmTopic));
      this.alarms.push(created);
      return created;
    };
    // Lambda reports the lag of an enabled mapping whether records flow or not; no lag at all means
    // the mapping is not polling (disabled, or failing to reach the cluster), which is an outage too.
    alarm(
      'OffsetLagAlarm',
      'The aggregator is falling behind the topic, or its mapping reports no lag at all',
      {
        metric: offsetLag,
        threshold: props.lagAlarmThreshold ?? 10_000,
        evaluationPeriods: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    // A stalled mapping invokes nothing, so no error alarm can fire. Produced with nothing applied over
    // 5 minutes is a stall (the mapping delivers within its 2 s window); FILL turns "no applied
    // metric" into 0, and a window where nothing was produced yields no data point (not a stall).
    alarm(
      'PipelineStalledAlarm',
      'Deals were produced but none applied for 5 minutes: the pipeline is stalled',
      {
        metric: new cloudwatch.MathExpression({
          expression: 'IF(FILL(produced, 0) > 0 AND FILL(applied, 0) == 0, 1, 0)',
          usingMetrics: {
            produced: recordsProduced.with({ period: FIVE_MINUTES }),
            applied: applied.with({ period: FIVE_MINUTES }),
          },
          period: FIVE_MINUTES,
          label: 'stalled',
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    );
    // A rotation that fails throws in its function and leaves the secret as it was (Secrets Manager
    // retries it at the next schedule): the password is then older than the rotation period says.
    (props.rotationFunctionArns ?? []).forEach((arn, i) => {
      const functionName = Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
      alarm(`SecretRotationErrorsAlarm${i + 1}`, 'A database secret rotation failed: see its function logs', {
        metric: new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensionsMap: { FunctionName: functionName ?? arn },
          statistic: 'Sum',
          period: FIVE_MINUTES,
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    });
    alarm('AggregatorErrorsAlarm', 'Batches keep failing: the mapping retries them and the partition waits', {
      metric: aggregatorFn.metricErrors({ period: MINUTE }),
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('RecordsRejectedAlarm', 'Records were set aside as invalid (see rejected_transaction_readable)', {
      metric: rejected.with({ period: FIVE_MINUTES }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Each breach that begins is news for the treasury: alarm on the first, minute by minute.
    alarm('LimitBreachBegunAlarm', 'A position went past its limit (see limit_breach)', {
      metric: breachesBegun,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('ProducerErrorsAlarm', 'The producer runs are failing: no deals reach the topic', {
      metric: producer.function.metricErrors({ period: FIVE_MINUTES }),
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm('DatabaseCpuAlarm', 'The database CPU has stayed above 80%', {
      metric: database.metricCPUUtilization({ period: FIVE_MINUTES }),
      threshold: 80,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    alarm('DatabaseStorageAlarm', 'The database has less than 1 GiB of free storage', {
      metric: database.metricFreeStorageSpace({ period: FIVE_MINUTES, statistic: 'Minimum' }),
      threshold: 1024 ** 3,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });
    alarm('BrokerDiskAlarm', 'A broker data volume is more than 80% full', {
      metric: brokerDiskUsed,
      threshold: 80,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8, leftYAxis?: cloudwatch.YAxisProps) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6, leftYAxis: leftYAxis ?? { min: 0 } });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## treasury-stream\nDeals flow producer → MSK topic → aggregator → PostgreSQL. ' +
          'Produced and applied should track each other; lag should stay near zero.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Records per minute', [recordsProduced, received, applied, rejected, redelivered], 12),
      graph('Offset lag (records behind)', [offsetLag], 12),
    );
    this.dashboard.addWidgets(
      graph('Aggregator invocations, errors, throttles', [
        aggregatorFn.metricInvocations({ period: MINUTE }),
        aggregatorFn.metricErrors({ period: MINUTE }),
        aggregatorFn.metricThrottles({ period: MINUTE }),
        batchesFailed,
      ]),
      graph('Aggregator duration (ms)', [
        aggregatorFn.metricDuration({ statistic: 'p50', period: MINUTE, label: 'p50' }),
        aggregatorFn.metricDuration({ statistic: 'p99', period: MINUTE, label: 'p99' }),
        aggregatorFn.metricDuration({ statistic: 'Maximum', period: MINUTE, label: 'max' }),
      ]),
      graph('Aggregator concurrency', [
        aggregatorFn.metric('ConcurrentExecutions', {
          statistic: 'Maximum',
          period: MINUTE,
          label: 'concurrent',
        }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Database CPU (%)', [database.metricCPUUtilization({ period: MINUTE })], 8, { min: 0, max: 100 }),
      graph('Database connections', [database.metricDatabaseConnections({ period: MINUTE })]),
      graph('Database free storage (bytes)', [database.metricFreeStorageSpace({ period: MINUTE })]),
    );
    this.dashboard.addWidgets(
      graph(
        'Broker CPU, user + system (%)',
        brokers.map(
          (b, i) =>
            new cloudwatch.MathExpression({
              expression: `user${i} + system${i}`,
              usingMetrics: {
                [`user${i}`]: brokerMetric('CpuUser', b),
                [`system${i}`]: brokerMetric('CpuSystem', b),
              },
              period: MINUTE,
              label: `broker ${b}`,
            }),
        ),
        12,
        { min: 0, max: 100 },
      ),
      graph(
        'Broker data disk used (%)',
        brokers.map((b) => brokerMetric('KafkaDataLogsDiskUsed', b)),
        12,
        { min: 0, max: 100 },
      ),
    );
    this.dashboard.addWidgets(
      graph('Limit breaches: open, began, cleared', [breachesOpen, breachesBegun, breachesCleared], 24),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
  }

  /** The console address of the dashboard. */
  get dashboardUrl(): string {
    const region = Stack.of(this).region;
    return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
  }
}
