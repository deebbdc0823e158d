/**
 * Section 6: what a deal costs in AWS. The aggregator as the stack configures it is invoked under the
 * Lambda runtime with events of the sizes the stack's mapping would make at 100 and at 10,000 deals
 * a second; its measured CPU and wall time per invocation, Lambda's published prices and the stack's
 * fixed monthly costs (bench/cost/prices.ts) give a month and a price per million deals, beside the
 * tutorial's Spark on AWS Glue streaming at its smallest. The arithmetic is bench/cost/price-per-deal.ts.
 */
import { aggregatorFunction } from '../../contracts/functions.js';
import { DEFAULT_SETTINGS } from '../../contracts/settings.js';
import { markdownTable } from '../report/markdown.js';
import type { MeasuredSection, SectionOptions } from '../report/section.js';
import { formatNumber, summarize } from '../report/stats.js';
import { type RunCost, RuntimeSubject, startBenchDatabase } from '../runtime/invocation.js';
import {
  invocationShape,
  type MappingShape,
  type MeasuredInvocation,
  type MonthlyCost,
  pipelineMonth,
  SECONDS_PER_MONTH,
  sparkMonth,
} from './price-per-deal.js';
import {
  EVENT_SOURCE_MAPPING,
  FIXED_MONTHLY,
  GLUE_STREAMING,
  HOURS_PER_MONTH,
  LAMBDA_ARM,
  LAMBDA_MIB_PER_VCPU,
  PRICE_REGION,
  PRICES_READ_ON,
} from './prices.js';

/** The rates the issue prices: the producer's default, and a hundred times it. */
export const PRICED_RATES = [100, 10_000] as const;

/** The stack's mapping with its default settings. */
export function stackMapping(): MappingShape {
  return {
    partitions: DEFAULT_SETTINGS.streaming.topicPartitions,
    batchSize: DEFAULT_SETTINGS.mapping.aggregatorBatchSize,
    windowSeconds: DEFAULT_SETTINGS.mapping.aggregatorBatchingWindowSeconds,
  };
}

/** Enough invocations per run that the 10 ms CPU ticks are a small part of a run's figure. */
export function invocationsPerRun(recordsPerInvocation: number, quick: boolean): number {
  const wanted = Math.ceil((quick ? 5_000 : 20_000) / recordsPerInvocation);
  return Math.min(quick ? 50 : 200, Math.max(quick ? 5 : 20, wanted));
}

async function measureSizes(
  sizes: readonly number[],
  options: SectionOptions,
): Promise<{ invocations: Map<number, MeasuredInvocation>; failures: string[] }> {
  const runs = options.quick ? 3 : 7;
  const { server } = await startBenchDatabase();
  const subjects = new Map<number, RuntimeSubject>();
  const costs = new Map<number, RunCost[]>(sizes.map((size) => [size, []]));
  try {
    for (const size of sizes) {
      options.log(`cost: starting the aggregator for events of ${size} records`);
      subjects.set(
        size,
        await RuntimeSubject.start(server.url, {
          runs,
          invocationsPerRun: invocationsPerRun(size, options.quick),
          warmupInvocations: 10,
          recordsPerEvent: size,
          log: options.log,
        }),
      );
    }
    for (let run = 0; run < runs; run++) {
      for (const size of run % 2 === 0 ? sizes : [...sizes].reverse()) {
        const cost = await (subjects.get(size) as RuntimeSubject).run(invocationsPerRun(size, options.quick));
        costs.get(size)?.push(cost);
        options.log(
          `cost: run ${run + 1}/${runs}, ${size} records: function ${cost.functionMs.toFixed(2)} ms CPU, wall ${cost.wallMs.toFixed(2)} ms per invocation`,
        );
      }
    }
  } finally {
    await Promise.all([...subjects.values()].map((subject) => subject.stop()));
    await server.stop();
  }
  const invocations = new Map<number, MeasuredInvocation>();
  for (const size of sizes) {
    const list = costs.get(size) ?? [];
    const subject = subjects.get(size) as RuntimeSubject;
    invocations.set(size, {
      recordsPerInvocation: size,
      functionCpuMs: summarize(list.map((c) => c.functionMs)).median,
      emulatorCpuMs: summarize(list.map((c) => c.emulatorMs)).median,
      wallMs: summarize(list.map((c) => c.wallMs)).median,
      eventBytes: subject.eventBytes,
    });
  }
  return { invocations, failures: [...subjects.values()].flatMap((s) => s.failures) };
}

const money = (value: number) => `$${formatNumber(value, value < 10 ? 2 : 0)}`;
const perMillion = (value: number) => `$${formatNumber(value, value < 1 ? 3 : 2)}`;

function costTable(
  months: readonly MonthlyCost[],
  invocations: ReadonlyMap<number, MeasuredInvocation>,
  memoryMiB: number,
): string {
  const mapping = stackMapping();
  const spark = months.map((m) => sparkMonth(m.dealsPerSecond));
  const measured = (m: MonthlyCost) => invocations.get(m.shape.recordsPerInvocation) as MeasuredInvocation;
  const line = (m: MonthlyCost, item: string) =>
    [...m.lambda, ...m.perVolume].find((l) => l.item === item)?.usdPerMonth ?? 0;
  const rows: string[][] = [
    [
      `Records per invocation (batch size ${mapping.batchSize}, window ${mapping.windowSeconds} s, ${mapping.partitions} partitions)`,
      ...months.map((m) => formatNumber(m.shape.recordsPerInvocation)),
    ],
    [
      'Invocations a month',
      ...months.map((m) => `${formatNumber((m.shape.invocationsPerSecond * SECONDS_PER_MONTH) / 1e6, 2)} M`),
    ],
    [
      "Measured here per invocation: function's CPU / wall",
      ...months.map(
        (m) => `${formatNumber(measured(m).functionCpuMs, 2)} / ${formatNumber(measured(m).wallMs, 2)} ms`,
      ),
    ],
    [`Billed duration, estimated at ${memoryMiB} MB on Arm`, ...months.map((m) => `${m.billedMs} ms`)],
    ['Lambda requests', ...months.map((m) => money(line(m, 'Lambda requests')))],
    ['Lambda duration', ...months.map((m) => money(line(m, 'Lambda duration')))],
    [
      'Event source mapping, on-demand mode',
      ...months.map(() => money(EVENT_SOURCE_MAPPING.onDemandUsdPerMonth)),
    ],
    ...['Endpoint data processed', 'Cross-zone traffic', 'CloudWatch Logs'].map((item) => [
      `${item} (grows with the deals)`,
      ...months.map((m) => money(line(m, item))),
    ]),
    ['Fixed monthly costs (below)', ...months.map((m) => money(m.fixedUsd))],
    ['**treasury-stream, a month**', ...months.map((m) => `**${money(m.totalUsd)}**`)],
    [
      '**treasury-stream, per million deals**',
      ...months.map((m) => `**${perMillion(m.usdPerMillionDeals)}**`),
    ],
    [
      'Provisioned mode instead of on-demand: event poller unit hours a month, added',
      ...months.map((m) =>
        m.provisionedUsd === undefined
          ? `${formatNumber(m.provisionedPollerHours)} h × the EPU-hour price`
          : `${formatNumber(m.provisionedPollerHours)} h = ${money(m.provisionedUsd)}`,
      ),
    ],
    [
      `Spark on Glue streaming: ${GLUE_STREAMING.minimumWorkers} × ${GLUE_STREAMING.workerType} (${GLUE_STREAMING.dpuPerWorker} DPU) all month`,
      ...spark.map((s) => money(s.glueUsd)),
    ],
    [
      'Spark: the same cluster, database and observability, and cross-zone traffic',
      ...spark.map((s) => money(s.fixedUsd + s.crossZoneUsd)),
    ],
    ['**Spark, a month**', ...spark.map((s) => `**${money(s.totalUsd)}**`)],
    ['**Spark, per million deals**', ...spark.map((s) => `**${perMillion(s.usdPerMillionDeals)}**`)],
  ];
  return markdownTable(['', ...months.map((m) => `${formatNumber(m.dealsPerSecond)} deals/s`)], rows, [
    'left',
    ...months.map(() => 'right' as const),
  ]);
}

export async function runCostSection(options: SectionOptions): Promise<MeasuredSection> {
  const mapping = stackMapping();
  const memoryMiB = aggregatorFunction().memoryMiB;
  const sizes = [...new Set(PRICED_RATES.map((rate) => invocationShape(rate, mapping).recordsPerInvocation))];
  const { invocations, failures } = await measureSizes(sizes, options);
  const months = PRICED_RATES.map((rate) =>
    pipelineMonth(
      rate,
      mapping,
      invocations.get(invocationShape(rate, mapping).recordsPerInvocation) as MeasuredInvocation,
      memoryMiB,
    ),
  );
  const markdown = [
    `### What a deal costs in AWS${options.quick ? ' (quick run: indicative only)' : ''}`,
    '',
    `${PRICE_REGION}, on-demand list prices read on ${PRICES_READ_ON} (bench/cost/prices.ts names each source; check them before relying on this), ${HOURS_PER_MONTH} hours a month. ` +
      `The aggregator as the stack configures it (${memoryMiB} MB, Arm, contracts/functions.ts) was invoked here under the Lambda runtime with events of the sizes its mapping makes at each rate, ` +
      `the sizes taking turns run by run (${options.quick ? 3 : 7} runs each). The billed duration is estimated from those figures: the function's CPU stretched by the vCPU share its memory buys ` +
      `(one vCPU at ${formatNumber(LAMBDA_MIB_PER_VCPU)} MB, [Lambda memory](https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html)), plus the time it waited for PostgreSQL, ` +
      `rounded up to the millisecond; a core of this machine is taken to do what a Graviton vCPU does, which only a deployment can check. ` +
      `Lambda on Arm: $${LAMBDA_ARM.usdPerMillionRequests} per million requests, $${LAMBDA_ARM.usdPerGbSecond} per GB-second ([Lambda pricing](${LAMBDA_ARM.source.url})); the free tier is left out. ` +
      `The mapping in on-demand mode has no charge of its own; provisioned mode bills event poller units by the hour (at least ${EVENT_SOURCE_MAPPING.minimumPollers}, each up to ${EVENT_SOURCE_MAPPING.pollerMegabytesPerSecond} MB/s or ${EVENT_SOURCE_MAPPING.pollerConcurrentInvocations} concurrent invocations, [Kafka scaling modes](https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html)); ` +
      `its hourly price is on the Lambda pricing page but not in the copies reachable from this machine, so the hours are given.`,
    '',
    costTable(months, invocations, memoryMiB),
    '',
    `Spark: the tutorial's job on AWS Glue streaming ETL, Spark Structured Streaming managed by AWS, at its smallest: ${GLUE_STREAMING.minimumWorkers} workers of ${GLUE_STREAMING.workerType} (${GLUE_STREAMING.dpuPerWorker} DPU, 2 vCPU, 4 GB each) ` +
      `at $${GLUE_STREAMING.usdPerDpuHour} per DPU-hour ([Glue pricing](${GLUE_STREAMING.source.url})), running all month as a stream does; at the 3.5 ms of CPU per 1,000 records Spark took here, 10,000 deals/s need a twentieth of one vCPU, so the smallest job suffices at both rates. ` +
      "It reads the same cluster and writes the same database: it pays their fixed costs too, but not the two endpoints only Lambda's mapping needs. Glue's own networking and logs are left out, to its advantage.",
    '',
    'Fixed monthly costs (docs/DEPLOY.md, "Monthly cost of the default stack", less the demo producer, which is the load and not the pipeline):',
    '',
    markdownTable(
      ['Item', 'Basis', 'USD/month', 'Spark too'],
      FIXED_MONTHLY.map((item) => [
        item.item,
        item.basis,
        item.usdPerMonth.toFixed(2),
        item.sparkToo ? 'yes' : 'no',
      ]),
      ['left', 'left', 'right', 'left'],
    ),
    '',
    "What grows with the deals besides Lambda: the mapping's event payloads through the interface endpoints (the measured event bytes per invocation), the cross-zone client traffic and the logs (docs/DEPLOY.md's volumes at 100 deals/s, scaled by deals and by invocations).",
    '',
  ].join('\n');
  const figures: Record<string, number> = {};
  for (const m of months) {
    figures[`costUsdPerMillionDealsAt${m.dealsPerSecond}`] = Number(m.usdPerMillionDeals.toFixed(4));
    figures[`costUsdPerMonthAt${m.dealsPerSecond}`] = Number(m.totalUsd.toFixed(2));
    figures[`costBilledMsAt${m.dealsPerSecond}`] = m.billedMs;
    figures[`sparkUsdPerMillionDealsAt${m.dealsPerSecond}`] = Number(
      sparkMonth(m.dealsPerSecond).usdPerMillionDeals.toFixed(4),
    );
  }
  return { markdown, figures, checks: [], panels: [], failures };
}
