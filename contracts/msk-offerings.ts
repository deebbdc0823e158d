/**
 * What MSK offers, as far as this stack can use it. cfn-lint does not check these properties of
 * AWS::MSK::Cluster, and MSK refuses a wrong value only after the VPC and endpoints are built, so the
 * configuration rejects one at synth time. Review the lists when MSK adds a version or size.
 */

/**
 * Kafka versions MSK offers for new provisioned clusters with no end-of-support date, from the
 * "Supported Apache Kafka versions" page of the MSK developer guide
 * (https://docs.aws.amazon.com/msk/latest/developerguide/supported-kafka-versions.html): 3.7.x,
 * 3.8.x (recommended), 3.9.x, each also in KRaft mode. 4.0.x is offered by MSK but left out here:
 * Kafka 4 removes the old protocol versions (KIP-896) and the functions' kafkajs client has not been
 * proven against it.
 */
export const MSK_KAFKA_VERSIONS: readonly string[] = [
  '3.7.x',
  '3.7.x.kraft',
  '3.8.x',
  '3.8.x.kraft',
  '3.9.x',
  '3.9.x.kraft',
];

/**
 * Standard broker sizes, from "Amazon MSK broker sizes"
 * (https://docs.aws.amazon.com/msk/latest/developerguide/broker-instance-sizes.html). Express
 * brokers are left out: MSK manages their storage, and this stack gives the brokers EBS volumes.
 * Not every size is offered in every region (see the MSK pricing page).
 */
export const MSK_BROKER_INSTANCE_TYPES: readonly string[] = [
  'kafka.t3.small',
  ...['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge'].map(
    (size) => `kafka.m5.${size}`,
  ),
  ...['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'].map(
    (size) => `kafka.m7g.${size}`,
  ),
];

/**
 * The zone MSK refuses client subnets in: "Client subnets can't occupy the Availability Zone with ID
 * use1-az3" (AWS::MSK::Cluster BrokerNodeGroupInfo, CloudFormation template reference).
 */
export const MSK_EXCLUDED_ZONE_IDS: readonly string[] = ['use1-az3'];

/**
 * Zones by ID for us-east-1 when the operator names none: the stack is environment-agnostic, and
 * names map to IDs differently in each account, so the first zones by name may be use1-az3.
 */
export const US_EAST_1_ZONE_IDS: readonly string[] = ['use1-az1', 'use1-az2', 'use1-az4'];
