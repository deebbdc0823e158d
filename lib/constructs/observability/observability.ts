import { Arn, ArnFormat, Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { AlarmSettings } from '../../../contracts/settings.js';
import {
  type AlarmMetricSpec,
  type AlarmSpec,
  alarmSpecs,
  type Comparison,
} from '../../../contracts/telemetry/alarms.js';
import { DASHBOARD_ROWS, RESULT_PANEL, type SeriesSpec } from '../../../contracts/telemetry/dashboard.js';
import {
  DEALS_SENT_LOG,
  METRICS,
  type MetricSpec,
  RECORDS_PRODUCED,
  type ResourceName,
} from '../../../contracts/telemetry/metrics.js';
import { denyGrantsOutsideAwsServices } from '../common/key-policy.js';

// The contracts' strings as CDK's enums: the compiler checks each pair, where a cast would not.
const COMPARISONS = {
  GreaterThanThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  GreaterThanOrEqualToThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  LessThanThreshold: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
  LessThanOrEqualToThreshold: cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
} as const satisfies Record<Comparison, cloudwatch.ComparisonOperator>;
const MISSING_DATA = {
  breaching: cloudwatch.TreatMissingData.BREACHING,
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  missing: cloudwatch.TreatMissingData.MISSING,
} as const satisfies Record<NonNullable<AlarmSpec['treatMissingData']>, cloudwatch.TreatMissingData>;

export interface ObservabilityProps {
  /** The producer's function, and its log group, where its deals-sent line is counted. */
  readonly producer: { readonly function: lambda.IFunction; readonly logGroup: logs.ILogGroup };
  /** The aggregator and its log group, which the result table reads. */
  readonly aggregator: { readonly function: lambda.IFunction; readonly logGroup: logs.ILogGroup };
  readonly database: rds.IDatabaseInstance;
  /** The secret rotation functions, whose failures leave a secret unrotated. @default none */
  readonly rotationFunctionArns?: readonly string[];
  /** The MSK cluster's name and broker count, for the AWS/Kafka per-broker metrics. */
  readonly clusterName: string;
  readonly brokerCount: number;
  /** Namespace of the aggregator's EMF metrics and of the produced-records metric. */
  readonly metricsNamespace: string;
  /** The lag alarm's threshold, and the e-mail address (if any) subscribed to the alarm topic. */
  readonly alarms: AlarmSettings;
}

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
    // The topic's own policy replaces SNS's default one (which let this account's sources publish),
    // so CloudWatch alarms need an Allow of their own: scoped to alarms of this account and region
    // (aws:SourceAccount and aws:SourceArn guard against the confused deputy).
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAlarmsOfThisAccountToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    const { alarmEmail } = props.alarms;
    if (alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));

    // The producer logs one "deals sent" line per run with the count: a metric filter counts them.
    new logs.MetricFilter(this, 'RecordsProducedFilter', {
      logGroup: producer.logGroup,
      metricNamespace: metricsNamespace,
      metricName: RECORDS_PRODUCED,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', DEALS_SENT_LOG.message),
      metricValue: `$.${DEALS_SENT_LOG.countField}`,
      unit: cloudwatch.Unit.COUNT,
    });

    const brokers = Array.from({ length: props.brokerCount }, (_, i) => String(i + 1));
    const resourceNames: Record<ResourceName['resource'], string | undefined> = {
      aggregatorFunction: aggregator.function.functionName,
      producerFunction: producer.function.functionName,
      databaseInstance: database.instanceIdentifier,
      cluster: props.clusterName,
      rotationFunction: undefined,
      broker: undefined,
    };
    const toMetric = (spec: MetricSpec, given: Partial<Record<ResourceName['resource'], string>> = {}) =>
      new cloudwatch.Metric({
        namespace: spec.namespace === 'app' ? metricsNamespace : spec.namespace,
        metricName: spec.metricName,
        dimensionsMap: Object.fromEntries(
          Object.entries(spec.dimensions).map(([name, value]) => {
            if (typeof value === 'string') return [name, value];
            const resolved = given[value.resource] ?? resourceNames[value.resource];
            if (resolved === undefined) throw new Error(`no value for the dimension ${name} of ${spec.id}`);
            return [name, resolved];
          }),
        ),
        statistic: spec.statistic,
        period: Duration.seconds(spec.periodSeconds),
        label: given.broker ? `${spec.label} ${given.broker}` : spec.label,
      });
    const toSeries = (series: SeriesSpec): cloudwatch.IMetric[] => {
      if (series.kind === 'metric') {
        if (
          !Object.values(series.metric.dimensions).some(
            (v) => typeof v !== 'string' && v.resource === 'broker',
          )
        )
          return [toMetric(series.metric)];
        return brokers.map((broker) => toMetric(series.metric, { broker }));
      }
      return brokers.map(
        (broker, b) =>
          new cloudwatch.MathExpression({
            expression: series.sumOf.map((_, m) => `m${b}x${m}`).join(' + '),
            usingMetrics: Object.fromEntries(
              series.sumOf.map((spec, m) => [`m${b}x${m}`, toMetric(spec, { broker })]),
            ),
            period: Duration.seconds(series.sumOf[0].periodSeconds),
            label: `${series.label} ${broker}`,
          }),
      );
    };
    const toAlarmMetric = (watches: AlarmMetricSpec): cloudwatch.IMetric => {
      switch (watches.kind) {
        case 'metric':
          return toMetric(watches.metric);
        case 'stalled':
          // FILL turns "no applied metric" into 0; a window where nothing was produced yields no data
          // point (not a stall).
          return new cloudwatch.MathExpression({
            expression: 'IF(FILL(produced, 0) > 0 AND FILL(applied, 0) == 0, 1, 0)',
            usingMetrics: { produced: toMetric(watches.produced), applied: toMetric(watches.applied) },
            period: Duration.seconds(watches.produced.periodSeconds),
            label: 'stalled',
          });
        case 'max-over-brokers':
          return new cloudwatch.MathExpression({
            expression: `MAX([${brokers.map((_, i) => `disk${i}`).join(', ')}])`,
            usingMetrics: Object.fromEntries(
              brokers.map((broker, i) => [`disk${i}`, toMetric(watches.metric, { broker })]),
            ),
            period: Duration.seconds(watches.metric.periodSeconds),
            label: watches.label,
          });
      }
    };

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
    for (const spec of alarmSpecs(props.alarms.lagAlarmThreshold)) {
      alarm(spec.id, spec.description, {
        metric: toAlarmMetric(spec.watches),
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm,
        comparisonOperator: COMPARISONS[spec.comparison],
        treatMissingData: spec.treatMissingData && MISSING_DATA[spec.treatMissingData],
      });
    }
    // A rotation that fails throws in its function and leaves the secret as it was (Secrets Manager
    // retries it at the next schedule): the password is then older than the rotation period says.
    (props.rotationFunctionArns ?? []).forEach((arn, i) => {
      const functionName = Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).resourceName ?? arn;
      alarm(`SecretRotationErrorsAlarm${i + 1}`, 'A database secret rotation failed: see its function logs', {
        metric: toMetric(METRICS.rotationErrors, { rotationFunction: functionName }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          '## treasury-stream\nDeals flow producer → MSK topic → aggregator → PostgreSQL. ' +
          'Produced and applied should track each other; lag should stay near zero.',
        width: 24,
        height: 2,
      }),
    );
    for (const row of DASHBOARD_ROWS) {
      this.dashboard.addWidgets(
        ...row.map(
          (widget) =>
            new cloudwatch.GraphWidget({
              title: widget.title,
              left: widget.series.flatMap(toSeries),
              width: widget.width,
              height: 6,
              leftYAxis: widget.yAxis,
            }),
        ),
      );
    }
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: RESULT_PANEL.title,
        logGroupNames: [aggregator.logGroup.logGroupName],
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        queryString: RESULT_PANEL.query,
        width: 24,
        height: 6,
      }),
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
