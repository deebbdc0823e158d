import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATOR_METRIC } from '../../../contracts/telemetry/metrics.js';
import { type Synthesized, synthesize } from '../synth.js';
import { functionIdByEntry, only, type Resources } from './template-queries.js';

describe('the default stack: network and observability', () => {
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize();
    template = synthesized.template;
  });

  describe('network', () => {
    it('reaches Lambda, STS, Secrets Manager and the MSK API through endpoints only', () => {
      const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint') as Resources).map((e) =>
        JSON.stringify(e.Properties.ServiceName),
      );
      expect(services).toHaveLength(4);
      for (const service of ['.lambda', '.sts', '.secretsmanager', '.kafka']) {
        expect(services.some((s) => s.includes(`${service}"`))).toBe(true);
      }
    });
  });

  describe('observability', () => {
    it('sends every alarm to the encrypted alarm topic', () => {
      const [topicId, topic] = only(template.findResources('AWS::SNS::Topic') as Resources);
      expect(topic.Properties.KmsMasterKeyId).toBeDefined();
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources);

      expect(alarms.map((a) => a.Properties.AlarmDescription)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/falling behind/),
          expect.stringMatching(/Batches keep failing/),
          expect.stringMatching(/set aside as invalid/),
          expect.stringMatching(/database CPU/),
          expect.stringMatching(/free storage/),
        ]),
      );
      for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    });

    it("alarms on the aggregator's metric of limit breaches that began, and shows open breaches", () => {
      const [topicId] = only(template.findResources('AWS::SNS::Topic') as Resources);
      const breach = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).filter(
        (a) =>
          JSON.stringify(a.Properties).includes(`"MetricName":"${AGGREGATOR_METRIC.limitBreachesBegun}"`),
      );
      const [, dashboard] = only(template.findResources('AWS::CloudWatch::Dashboard') as Resources);

      expect(breach).toHaveLength(1);
      const text = JSON.stringify(breach[0]?.Properties);
      expect(text).toContain('"Stat":"Sum"');
      expect(text).toContain('{"Name":"service","Value":"aggregator"}');
      expect(breach[0]?.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
      });
      expect(JSON.stringify(dashboard.Properties)).toContain(AGGREGATOR_METRIC.limitBreachesOpen);
    });

    it('alarms on the first record missing before a batch (offset gap), to the alarm topic, and shows it', () => {
      const [topicId] = only(template.findResources('AWS::SNS::Topic') as Resources);
      const gap = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).filter((a) =>
        JSON.stringify(a.Properties).includes(`"MetricName":"${AGGREGATOR_METRIC.offsetGapRecords}"`),
      );
      const [, dashboard] = only(template.findResources('AWS::CloudWatch::Dashboard') as Resources);

      expect(gap).toHaveLength(1);
      const text = JSON.stringify(gap[0]?.Properties);
      expect(text).toContain('"Stat":"Maximum"');
      expect(text).toContain('{"Name":"service","Value":"aggregator"}');
      expect(gap[0]?.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
      });
      expect(JSON.stringify(dashboard.Properties)).toContain(AGGREGATOR_METRIC.offsetGapRecords);
    });

    it('watches the lag of the mapping on the aggregator', () => {
      const lag = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).filter((a) =>
        JSON.stringify(a.Properties).includes('"MetricName":"OffsetLag"'),
      );

      expect(lag).toHaveLength(1);
      const text = JSON.stringify(lag[0]?.Properties);
      expect(text).toContain('"Namespace":"AWS/Lambda"');
      expect(text).toContain(functionIdByEntry(template, /^Aggregates MSK batches/));
      expect(lag[0]?.Properties.Threshold).toBe(10_000);
    });

    it('outputs what operators and analysts need', () => {
      for (const name of [
        'DatabaseEndpoint',
        'AdminSecretArn',
        'AggregatorSecretArn',
        'ReaderSecretArn',
        'DashboardUrl',
        'Topic',
        'ClusterArn',
      ]) {
        template.hasOutput(name, {});
      }
    });
  });
});
