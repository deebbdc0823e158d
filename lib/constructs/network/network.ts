import { Aws, CfnCondition, type CfnResource, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { US_EAST_1_ZONE_IDS } from '../../../contracts/msk-offerings.js';
import type { LogSettings, NetworkSettings } from '../../../contracts/settings.js';
import {
  acknowledgeFrameworkFunctionFindings,
  acknowledgeLogGroupFindings,
} from '../common/checker-findings.js';
import { functionLogGroup } from '../common/function-log-group.js';

export interface NetworkProps {
  /** The zones the VPC spans; the stack must offer as many (TreasuryStreamStack does). */
  readonly settings: NetworkSettings;
  /** How long the flow log of rejected traffic is kept. */
  readonly logs: LogSettings;
  /**
   * Keep the VPC and the application subnets when the stack is deleted: a retained MSK cluster keeps
   * its network interfaces in them, so they could not be deleted anyway.
   */
  readonly retainApplicationTier: boolean;
}

/** What the constructs placed in the pipeline's network use of it. */
export interface IPipelineNetwork {
  readonly vpc: ec2.IVpc;
  /** Functions, brokers and endpoints. */
  readonly applicationSubnets: ec2.SubnetSelection;
  /** The database only. */
  readonly dataSubnets: ec2.SubnetSelection;
  /** Lets the clients reach the AWS API endpoints on 443. */
  allowEndpointsFrom(...clients: ec2.IConnectable[]): void;
  /** A gateway endpoint to S3, for what writes to a bucket from the VPC. */
  addS3GatewayEndpoint(): void;
}

/**
 * A VPC over two zones with no route to the internet: an application tier (functions, brokers,
 * endpoints) and a data tier (the database). AWS APIs are reached through interface endpoints:
 * Lambda and STS for the MSK event source mapping, Secrets Manager for the functions and the
 * rotation, the MSK API for the bootstrap brokers. See docs/DEPLOY.md for endpoints versus NAT.
 */
export class Network extends Construct implements IPipelineNetwork {
  public readonly vpc: ec2.IVpc;
  /** Functions, brokers and endpoints. */
  public readonly applicationSubnets: ec2.SubnetSelection = { subnetGroupName: 'application' };
  /** The database only. */
  public readonly dataSubnets: ec2.SubnetSelection = { subnetGroupName: 'data' };
  private readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.settings.zones,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'application', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });
    this.vpc = vpc;
    this.placeSubnetsByZoneId(vpc, props.settings.availabilityZoneIds);
    if (props.retainApplicationTier) {
      (vpc.node.defaultChild as ec2.CfnVPC).applyRemovalPolicy(RemovalPolicy.RETAIN);
      for (const subnet of vpc.selectSubnets(this.applicationSubnets).subnets) {
        (subnet.node.defaultChild as ec2.CfnSubnet).applyRemovalPolicy(RemovalPolicy.RETAIN);
      }
    }

    // Rejected traffic only: what explains a security group that is too tight, at a few cents a month.
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logs.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledgeLogGroupFindings(flowLogs);
    vpc.addFlowLog('RejectedTraffic', {
      trafficType: ec2.FlowLogTrafficType.REJECT,
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
    });
    // restrictDefaultSecurityGroup (cdk.json) adds a framework function at the stack's root.
    const restrictDefaultGroup = Stack.of(this).node.tryFindChild(
      'Custom::VpcRestrictDefaultSGCustomResourceProvider',
    );
    const restrictHandler = restrictDefaultGroup?.node.tryFindChild('Handler');
    if (restrictHandler) {
      acknowledgeFrameworkFunctionFindings(restrictHandler, { environment: false });
      const restrict = vpc.node.tryFindChild('RestrictDefaultSecurityGroupCustomResource');
      functionLogGroup(
        this,
        'RestrictDefaultSecurityGroupLogs',
        (restrictHandler as CfnResource).ref,
        props.logs.logRetentionDays,
        restrict ? [restrict] : [],
      );
    }

    // One group for all interface endpoints; each client is let in on 443 by `allowEndpointsFrom`.
    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'AWS API endpoints: HTTPS from the pipeline functions and the MSK event source mapping',
      allowAllOutbound: false,
    });
    const services = {
      Lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Kafka: ec2.InterfaceVpcEndpointAwsService.KAFKA,
    };
    for (const [name, service] of Object.entries(services)) {
      vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        subnets: this.applicationSubnets,
        securityGroups: [this.endpointSecurityGroup],
        privateDnsEnabled: true,
        open: false,
      });
    }
  }

  /**
   * MSK refuses client subnets in use1-az3, and zone names map to IDs differently in each account, so
   * a subnet placed by name (Fn::GetAZs) may land there. Subnets are placed by zone ID instead: the
   * given IDs, or in us-east-1 US_EAST_1_ZONE_IDS; other regions keep the zones by name.
   */
  private placeSubnetsByZoneId(vpc: ec2.Vpc, zoneIds: readonly string[] | undefined): void {
    const inUsEast1 = zoneIds
      ? undefined
      : new CfnCondition(this, 'InUsEast1', { expression: Fn.conditionEquals(Aws.REGION, 'us-east-1') });
    for (const subnet of vpc.isolatedSubnets) {
      const zone = vpc.availabilityZones.indexOf(subnet.availabilityZone);
      const cfnSubnet = subnet.node.defaultChild as ec2.CfnSubnet;
      const zoneId = zoneIds?.[zone];
      if (zoneId) {
        cfnSubnet.availabilityZone = undefined;
        cfnSubnet.availabilityZoneId = zoneId;
      } else if (inUsEast1) {
        const byName = cfnSubnet.availabilityZone;
        cfnSubnet.availabilityZoneId = Fn.conditionIf(
          inUsEast1.logicalId,
          US_EAST_1_ZONE_IDS[zone],
          Aws.NO_VALUE,
        ).toString();
        cfnSubnet.availabilityZone = Fn.conditionIf(inUsEast1.logicalId, Aws.NO_VALUE, byName).toString();
        Validations.of(cfnSubnet).acknowledge({
          id: 'CloudFormation-Validate::F3020',
          reason:
            'AvailabilityZone and AvailabilityZoneId are each under Fn::If on the same condition, one ' +
            'of them AWS::NoValue: a subnet gets exactly one (the static check does not evaluate Fn::If).',
        });
      }
    }
  }

  /** Lets these clients call the AWS APIs through the endpoints (HTTPS). */
  allowEndpointsFrom(...clients: ec2.IConnectable[]): void {
    for (const client of clients) {
      this.endpointSecurityGroup.connections.allowFrom(
        client,
        ec2.Port.tcp(443),
        'HTTPS to AWS API endpoints',
      );
    }
  }

  /** A gateway endpoint for S3 (free), for the event source mapping's on-failure bucket. */
  addS3GatewayEndpoint(): void {
    this.vpc.addGatewayEndpoint('S3Endpoint', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.applicationSubnets],
    });
  }
}
