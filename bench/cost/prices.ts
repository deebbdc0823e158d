/**
 * Published AWS prices the cost section uses, in one place: US East (N. Virginia), on-demand list
 * prices, in US dollars. Every figure of the cost table is computed from these and the run's
 * measurements (bench/cost/price-per-deal.ts), so that the table changes when a price here does.
 * Prices change: each group names its source page and the date it was read; check them against the
 * pages (or the AWS Pricing Calculator) before relying on the table. Pure data.
 */

/** When the prices below were read from their sources. */
export const PRICES_READ_ON = '2026-12-07';
export const PRICE_REGION = 'us-east-1';
/** Hours in a month, as AWS's price examples count them. */
export const HOURS_PER_MONTH = 730;

export interface PriceSource {
  readonly title: string;
  readonly url: string;
}

export const LAMBDA_PRICING: PriceSource = {
  title: 'AWS Lambda pricing',
  url: 'https://aws.amazon.com/lambda/pricing/',
};

/** Lambda on Arm (Graviton), the stack's architecture; the first duration tier (up to 7.5 billion GB-s a month). */
export const LAMBDA_ARM = {
  usdPerMillionRequests: 0.2,
  usdPerGbSecond: 0.0000133334,
  source: LAMBDA_PRICING,
} as const;

/**
 * "At 1,769 MB, a function has the equivalent of one vCPU (one vCPU-second of credits per second)",
 * and CPU scales with memory below that (Lambda developer guide, "Configuring Lambda function memory",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
 */
export const LAMBDA_MIB_PER_VCPU = 1_769;

/**
 * The event source mapping. On-demand mode (the stack's default) has no charge of its own: Lambda
 * bills the invocations it makes (requests and duration). Provisioned mode bills event poller units
 * by the hour; each poller handles up to 5 MB/s or 5 concurrent invocations, and at least one runs
 * all month ("Apache Kafka event poller scaling modes in Lambda",
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html). The price of an event
 * poller unit hour is on the Lambda pricing page, which the copies reachable from this machine do not
 * show: it is left undefined here, and the table gives the hours for the reader to price.
 */
export const EVENT_SOURCE_MAPPING = {
  onDemandUsdPerMonth: 0,
  provisionedUsdPerPollerHour: undefined as number | undefined,
  pollerMegabytesPerSecond: 5,
  pollerConcurrentInvocations: 5,
  minimumPollers: 1,
  source: LAMBDA_PRICING,
} as const;

/** A monthly cost of the stack that does not depend on the rate of deals. */
export interface FixedItem {
  readonly item: string;
  readonly basis: string;
  readonly usdPerMonth: number;
  /** Whether the Spark peer, reading the same cluster and writing the same database, would pay it too. */
  readonly sparkToo: boolean;
}

const hourly = (usdPerHour: number, count: number) => usdPerHour * count * HOURS_PER_MONTH;

/**
 * The default stack's monthly costs that do not depend on the rate of deals, with their prices as
 * docs/DEPLOY.md ("Monthly cost of the default stack") lists them and its sources give them. The demo
 * producer function is left out: it is the load, not the pipeline.
 */
export const FIXED_MONTHLY: readonly FixedItem[] = [
  {
    item: 'MSK brokers',
    basis: '2 × kafka.t3.small × $0.0456/h',
    usdPerMonth: hourly(0.0456, 2),
    sparkToo: true,
  },
  { item: 'MSK storage', basis: '2 × 20 GB × $0.10/GB-month', usdPerMonth: 2 * 20 * 0.1, sparkToo: true },
  {
    item: 'VPC endpoints for the mapping (Lambda, STS)',
    basis: '2 × 2 zones × $0.01/h',
    usdPerMonth: hourly(0.01, 4),
    sparkToo: false,
  },
  {
    item: 'VPC endpoints for the functions (Secrets Manager, Kafka)',
    basis: '2 × 2 zones × $0.01/h',
    usdPerMonth: hourly(0.01, 4),
    sparkToo: true,
  },
  {
    item: 'RDS instance',
    basis: 'db.t4g.micro single-AZ × $0.016/h',
    usdPerMonth: hourly(0.016, 1),
    sparkToo: true,
  },
  { item: 'RDS storage', basis: '20 GB gp3 × $0.115/GB-month', usdPerMonth: 20 * 0.115, sparkToo: true },
  { item: 'Secrets Manager', basis: '3 secrets × $0.40', usdPerMonth: 3 * 0.4, sparkToo: true },
  { item: 'KMS', basis: '2 customer-managed keys × $1', usdPerMonth: 2, sparkToo: true },
  { item: 'CloudWatch metrics', basis: '6 custom metrics × $0.30', usdPerMonth: 6 * 0.3, sparkToo: true },
  {
    item: 'CloudWatch alarms',
    basis: '10 × $0.10 + 2 metric-math × $0.20',
    usdPerMonth: 1.4,
    sparkToo: true,
  },
  { item: 'CloudWatch dashboard', basis: '$3', usdPerMonth: 3, sparkToo: true },
];

/** Monthly costs that grow with the deals: per GB, at the prices docs/DEPLOY.md uses. */
export const PER_GB = {
  /** Interface endpoint data processed: the mapping's event payloads to Lambda. */
  endpointDataUsd: 0.01,
  /** Cross-zone traffic between clients and brokers. */
  crossZoneUsd: 0.01,
  /** CloudWatch Logs ingested. */
  logsIngestedUsd: 0.5,
} as const;

/**
 * docs/DEPLOY.md's volumes at the producer's default 100 deals/s, from which bytes per deal and per
 * invocation follow: ≈ 100 GB of cross-zone client traffic and ≈ 2.2 GB of logs a month over ≈ 1.3 M
 * invocations (one log line and one EMF line per batch).
 */
export const DEPLOY_ESTIMATE = {
  dealsPerSecond: 100,
  crossZoneGbPerMonth: 100,
  logsGbPerMonth: 2.2,
  aggregatorInvocationsPerMonth: 1_300_000,
} as const;

export const GLUE_PRICING: PriceSource = {
  title: 'AWS Glue pricing',
  url: 'https://aws.amazon.com/glue/pricing/',
};

/**
 * The tutorial's Spark Structured Streaming on AWS's managed Spark for streams, AWS Glue streaming
 * ETL: billed per DPU-hour while the job runs, all month for a stream. The smallest worker is G.025X,
 * 0.25 DPU (2 vCPU, 4 GB), "suitable for low volume streaming jobs" (CDK's aws_glue WorkerType,
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_stepfunctions_tasks.WorkerType.html);
 * a Glue job runs at least 2 workers (a driver and an executor).
 */
export const GLUE_STREAMING = {
  usdPerDpuHour: 0.44,
  workerType: 'G.025X',
  dpuPerWorker: 0.25,
  minimumWorkers: 2,
  source: GLUE_PRICING,
} as const;
