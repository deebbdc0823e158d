/**
 * What a month of deals costs in AWS, from the prices (bench/cost/prices.ts) and what the function's
 * process was measured to cost per invocation. Pure: the cost section measures, this computes, and
 * a test holds the arithmetic.
 */
import {
  DEPLOY_ESTIMATE,
  EVENT_SOURCE_MAPPING,
  FIXED_MONTHLY,
  GLUE_STREAMING,
  HOURS_PER_MONTH,
  LAMBDA_ARM,
  LAMBDA_MIB_PER_VCPU,
  PER_GB,
} from './prices.js';

export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** How the event source mapping batches: the stack's settings (contracts/settings.ts). */
export interface MappingShape {
  readonly partitions: number;
  readonly batchSize: number;
  readonly windowSeconds: number;
}

export interface InvocationShape {
  readonly recordsPerInvocation: number;
  readonly invocationsPerSecond: number;
}

/**
 * Deals spread evenly over the partitions; each partition's batch goes when it is full or when the
 * window ends, whichever comes first, so a batch holds the window's deals up to the batch size.
 */
export function invocationShape(dealsPerSecond: number, mapping: MappingShape): InvocationShape {
  const perWindow = (dealsPerSecond / mapping.partitions) * mapping.windowSeconds;
  const recordsPerInvocation = Math.max(1, Math.min(mapping.batchSize, Math.round(perWindow)));
  return { recordsPerInvocation, invocationsPerSecond: dealsPerSecond / recordsPerInvocation };
}

/** What one invocation of a given size was measured to cost here (medians). */
export interface MeasuredInvocation {
  readonly recordsPerInvocation: number;
  /** CPU of the function's own process (runtime client + handler). */
  readonly functionCpuMs: number;
  /** CPU of the Runtime Interface Emulator: AWS's part, not billed. */
  readonly emulatorCpuMs: number;
  /** From the invoker's side. */
  readonly wallMs: number;
  readonly eventBytes: number;
}

/**
 * The billed duration of an invocation at `memoryMiB`, estimated: the function's CPU stretched by the
 * share of a vCPU its memory buys (1 below LAMBDA_MIB_PER_VCPU MB), plus the time it waited (for
 * PostgreSQL), which is the wall time less both processes' CPU; rounded up to the millisecond as
 * Lambda bills. It assumes a core of this machine does what a Graviton vCPU does.
 */
export function billedMs(invocation: MeasuredInvocation, memoryMiB: number): number {
  const stretch = Math.max(1, LAMBDA_MIB_PER_VCPU / memoryMiB);
  const waited = Math.max(0, invocation.wallMs - invocation.functionCpuMs - invocation.emulatorCpuMs);
  return Math.ceil(invocation.functionCpuMs * stretch + waited);
}

export interface CostLine {
  readonly item: string;
  readonly basis: string;
  readonly usdPerMonth: number;
}

export interface MonthlyCost {
  readonly dealsPerSecond: number;
  readonly shape: InvocationShape;
  readonly billedMs: number;
  /** Lambda's part: requests and duration. */
  readonly lambda: readonly CostLine[];
  /** What grows with the deals apart from Lambda: endpoint data, cross-zone traffic, logs. */
  readonly perVolume: readonly CostLine[];
  readonly fixedUsd: number;
  /** Event poller unit hours a month in provisioned mode, and their cost when the price is known. */
  readonly provisionedPollerHours: number;
  readonly provisionedUsd: number | undefined;
  /** Everything in on-demand mode. */
  readonly totalUsd: number;
  readonly usdPerMillionDeals: number;
}

const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;

function perVolumeLines(dealsPerSecond: number, invocationsPerMonth: number, eventBytes: number): CostLine[] {
  const deals = dealsPerSecond * SECONDS_PER_MONTH;
  const crossZoneBytesPerDeal =
    (DEPLOY_ESTIMATE.crossZoneGbPerMonth * 1e9) / (DEPLOY_ESTIMATE.dealsPerSecond * SECONDS_PER_MONTH);
  const logBytesPerInvocation =
    (DEPLOY_ESTIMATE.logsGbPerMonth * 1e9) / DEPLOY_ESTIMATE.aggregatorInvocationsPerMonth;
  const endpointGb = (invocationsPerMonth * eventBytes) / 1e9;
  const crossZoneGb = (deals * crossZoneBytesPerDeal) / 1e9;
  const logsGb = (invocationsPerMonth * logBytesPerInvocation) / 1e9;
  return [
    {
      item: 'Endpoint data processed',
      basis: `${endpointGb.toFixed(1)} GB of events × ${usd(PER_GB.endpointDataUsd)}/GB`,
      usdPerMonth: endpointGb * PER_GB.endpointDataUsd,
    },
    {
      item: 'Cross-zone traffic',
      basis: `${crossZoneGb.toFixed(0)} GB × ${usd(PER_GB.crossZoneUsd)}/GB`,
      usdPerMonth: crossZoneGb * PER_GB.crossZoneUsd,
    },
    {
      item: 'CloudWatch Logs',
      basis: `${logsGb.toFixed(1)} GB × ${usd(PER_GB.logsIngestedUsd)}/GB`,
      usdPerMonth: logsGb * PER_GB.logsIngestedUsd,
    },
  ];
}

const sum = (lines: readonly { readonly usdPerMonth: number }[]) =>
  lines.reduce((total, line) => total + line.usdPerMonth, 0);

/** The month of our pipeline at `dealsPerSecond`, from the invocation measured at that rate's size. */
export function pipelineMonth(
  dealsPerSecond: number,
  mapping: MappingShape,
  invocation: MeasuredInvocation,
  memoryMiB: number,
): MonthlyCost {
  const shape = invocationShape(dealsPerSecond, mapping);
  if (shape.recordsPerInvocation !== invocation.recordsPerInvocation) {
    throw new Error(
      `measured ${invocation.recordsPerInvocation} records per invocation, the rate gives ${shape.recordsPerInvocation}`,
    );
  }
  const invocations = shape.invocationsPerSecond * SECONDS_PER_MONTH;
  const duration = billedMs(invocation, memoryMiB);
  const gbSeconds = (invocations * duration * memoryMiB) / 1024 / 1000;
  const lambda: CostLine[] = [
    {
      item: 'Lambda requests',
      basis: `${(invocations / 1e6).toFixed(2)} M × ${usd(LAMBDA_ARM.usdPerMillionRequests)}/M`,
      usdPerMonth: (invocations / 1e6) * LAMBDA_ARM.usdPerMillionRequests,
    },
    {
      item: 'Lambda duration',
      basis: `${(invocations / 1e6).toFixed(2)} M × ${duration} ms × ${memoryMiB} MB = ${Math.round(gbSeconds).toLocaleString('en-US')} GB-s × $${LAMBDA_ARM.usdPerGbSecond}`,
      usdPerMonth: gbSeconds * LAMBDA_ARM.usdPerGbSecond,
    },
  ];
  const perVolume = perVolumeLines(dealsPerSecond, invocations, invocation.eventBytes);
  const fixedUsd = sum(FIXED_MONTHLY);
  const megabytesPerSecond = (shape.invocationsPerSecond * invocation.eventBytes) / 1e6;
  const concurrency = (shape.invocationsPerSecond * duration) / 1000;
  const pollers = Math.max(
    EVENT_SOURCE_MAPPING.minimumPollers,
    Math.ceil(megabytesPerSecond / EVENT_SOURCE_MAPPING.pollerMegabytesPerSecond),
    Math.ceil(concurrency / EVENT_SOURCE_MAPPING.pollerConcurrentInvocations),
  );
  const provisionedPollerHours = pollers * HOURS_PER_MONTH;
  const price = EVENT_SOURCE_MAPPING.provisionedUsdPerPollerHour;
  const totalUsd = sum(lambda) + sum(perVolume) + fixedUsd + EVENT_SOURCE_MAPPING.onDemandUsdPerMonth;
  return {
    dealsPerSecond,
    shape,
    billedMs: duration,
    lambda,
    perVolume,
    fixedUsd,
    provisionedPollerHours,
    provisionedUsd: price === undefined ? undefined : provisionedPollerHours * price,
    totalUsd,
    usdPerMillionDeals: totalUsd / ((dealsPerSecond * SECONDS_PER_MONTH) / 1e6),
  };
}

export interface SparkMonth {
  readonly dealsPerSecond: number;
  readonly glueUsd: number;
  readonly fixedUsd: number;
  readonly crossZoneUsd: number;
  readonly totalUsd: number;
  readonly usdPerMillionDeals: number;
}

/**
 * The tutorial's Spark job on Glue streaming at its smallest (it runs all month whatever the rate),
 * beside the same cluster and database: the fixed items it shares, and the same cross-zone traffic.
 */
export function sparkMonth(dealsPerSecond: number): SparkMonth {
  const glueUsd =
    GLUE_STREAMING.minimumWorkers *
    GLUE_STREAMING.dpuPerWorker *
    GLUE_STREAMING.usdPerDpuHour *
    HOURS_PER_MONTH;
  const fixedUsd = sum(FIXED_MONTHLY.filter((item) => item.sparkToo));
  const crossZone = perVolumeLines(dealsPerSecond, 0, 0).find((line) => line.item === 'Cross-zone traffic');
  const crossZoneUsd = crossZone?.usdPerMonth ?? 0;
  const totalUsd = glueUsd + fixedUsd + crossZoneUsd;
  return {
    dealsPerSecond,
    glueUsd,
    fixedUsd,
    crossZoneUsd,
    totalUsd,
    usdPerMillionDeals: totalUsd / ((dealsPerSecond * SECONDS_PER_MONTH) / 1e6),
  };
}
