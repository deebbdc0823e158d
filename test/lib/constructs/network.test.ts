import { describe, expect, it } from 'vitest';
import { bare } from './bare-stack.js';

describe('Network, built alone', () => {
  // A bare environment-agnostic stack offers two zones (TreasuryStreamStack offers the zones setting).
  it('spans two zones with two isolated tiers, no route out, and the four API endpoints', () => {
    const { template } = bare.network();

    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    expect(Object.keys(template.findResources('AWS::EC2::VPCEndpoint'))).toHaveLength(4);
  });

  it('keeps its flow log for the retention of the logs setting', () => {
    const { template } = bare.network({ logs: { logRetentionDays: 90 } });

    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});
