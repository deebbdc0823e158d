/**
 * Section 3: the pipeline end to end on this machine. Producers → a real Kafka broker → the ESM
 * emulator → the aggregator's bundle under the Lambda runtime → a real PostgreSQL, at the highest rate
 * it sustains, and its produce-to-commit latency at 10, 50 and 80 % of that rate, read from what the
 * handler wrote: applied_batch.committed_at and the 5 ms histogram of the records' Kafka timestamps.
 * Then the same search with the financial result off, for what the result costs (issue 20).
 *
 * `npm run bench -- --only e2e` runs it alone. The harness (bench/e2e/harness.ts) is shared with the
 * Spark section, which puts the tutorial's Spark job through the same steps.
 */
import { panelsOfFigures } from '../report/chart.js';
import { markdownTable, verdict } from '../report/markdown.js';
import type { MeasuredSection, SectionOptions, TargetCheck } from '../report/section.js';
import { atLeast, atMost, formatNumber } from '../report/stats.js';
import { AggregatorConsumer } from './aggregator-system.js';
import { cpuByPartTable, generatorHeadroom } from './cpu-by-part.js';
import { formatCpu, LOAD_GENERATOR } from './cpu-meter.js';
import { formatMs, type SystemMeasurement } from './harness.js';
import { LOAD_DESCRIPTION } from './load/java-producer-fleet.js';
import { measureOnFreshServices } from './measure.js';
import {
  BATCH_SIZE,
  BENCH_PARTITIONS,
  BENCH_TOPIC,
  MAX_EVENT_BYTES,
  TARGET_P99_AT_HALF_LOAD_MS,
  TARGET_RECORDS_PER_SECOND,
  WINDOW_MS,
} from './plan.js';
import { POLLER_DESCRIPTION } from './poller/java-event-poller.js';
import {
  consumerCost,
  drainSentence,
  endToEndFigures,
  HOLD_RULE,
  LATENCY_RULE,
  latencyAt,
  latencyTable,
  limitNote,
  machineDescription,
  mismatchLines,
  noiseNote,
  searchRule,
  stepsTable,
} from './report-parts.js';
import {
  resultCostCheck,
  resultCostNote,
  resultCostShare,
  resultCostTable,
  TARGET_RESULT_COST_SHARE,
} from './result-cost.js';
import { cpuMsPerThousand } from './steady-state.js';

/** Runs our pipeline through the steps on a broker and a database of its own. */
export function measureEndToEnd(options: SectionOptions): Promise<SystemMeasurement> {
  return measureOnFreshServices(options, {
    system: (services) => new AggregatorConsumer(services, options.log),
  });
}

/**
 * Our pipeline again with the financial result off (the baseline of its cost), on services of its
 * own: the search only, started where the result on settled, so that it takes few steps.
 */
export function measureResultOff(
  options: SectionOptions,
  resultOn: SystemMeasurement,
): Promise<SystemMeasurement> {
  return measureOnFreshServices(options, {
    system: (services) => new AggregatorConsumer(services, options.log, 'off'),
    search: { firstRate: resultOn.sustainedRate, latency: false },
  });
}

/** Both measurements of the section: ours, and ours with the financial result off. */
export interface EndToEndMeasurements {
  readonly ours: SystemMeasurement;
  readonly resultOff: SystemMeasurement;
}

/** The section's targets, as checks: they join the report's summary and the section's own table. */
export function endToEndChecks({ ours: m, resultOff }: EndToEndMeasurements): TargetCheck[] {
  const p99 = latencyAt(m, 0.5)?.p99Ms;
  return [
    {
      what: 'End to end: highest sustained rate',
      value: m.sustainedRate ?? 0,
      shown: m.sustainedRate === undefined ? 'none held' : `${formatNumber(m.sustainedRate)} records/s`,
      target: atLeast(TARGET_RECORDS_PER_SECOND),
      targetShown: `≥ ${formatNumber(TARGET_RECORDS_PER_SECOND)} records/s`,
    },
    {
      what: 'End to end: p99 produce → commit at 50 % load',
      // Not measured counts as not met.
      value: p99 ?? Number.POSITIVE_INFINITY,
      shown: `${formatMs(p99)} ms`,
      target: atMost(TARGET_P99_AT_HALF_LOAD_MS),
      targetShown: `≤ ${formatNumber(TARGET_P99_AT_HALF_LOAD_MS)} ms (window + ${formatNumber(TARGET_P99_AT_HALF_LOAD_MS - WINDOW_MS)} ms)`,
    },
    {
      what: "End to end: differences from the producers' ground truth",
      value: m.exactness.length,
      shown: String(m.exactness.length),
      target: atMost(0),
      targetShown: '0 (exact)',
    },
    resultCostCheck(m, resultOff),
  ];
}

export function endToEndMarkdown(
  { ours: m, resultOff }: EndToEndMeasurements,
  checks: readonly TargetCheck[],
  quick: boolean,
): string {
  const cost = consumerCost(m);
  const eighty = latencyAt(m, 0.8);
  return [
    `### End to end, locally${quick ? ' (quick run: short steps, indicative only)' : ''}`,
    '',
    `Producers → Kafka topic \`${BENCH_TOPIC}\` (${BENCH_PARTITIONS} partitions, key = branch) → the event source mapping's stand-in, ${POLLER_DESCRIPTION} (batch size ${formatNumber(BATCH_SIZE)}, window ${WINDOW_MS / 1000} s, ${MAX_EVENT_BYTES / 2 ** 20} MB) → the aggregator's bundle under the Lambda Runtime Interface Emulator and aws-lambda-ric, one execution environment per partition, logs and metrics on as in AWS → PostgreSQL. ` +
      `The load: ${LOAD_DESCRIPTION}; the consumer in a process of its own. ` +
      `${LATENCY_RULE} ${HOLD_RULE}`,
    '',
    markdownTable(
      ['figure', 'measured', 'target', ''],
      checks.map((check) => [check.what, check.shown, check.targetShown, verdict(check)]),
      ['left', 'right', 'right', 'left'],
    ),
    '',
    latencyTable(m),
    '',
    `Search for the sustained rate (${searchRule(m.plan.stepMs)}):`,
    '',
    stepsTable(m.steps),
    '',
    drainSentence(m),
    cost === undefined || eighty === undefined
      ? ''
      : `The consumer spent ${cost.toFixed(1)} ms of CPU per 1,000 records at 80 % load, the load generator ${cpuMsPerThousand(eighty.cpu[LOAD_GENERATOR], eighty.offeredRate)?.toFixed(1) ?? '–'} ms (CPU then: ${formatCpu(eighty.cpu)}).`,
    '',
    "CPU by part at the sustained step (the event poller and the runtime emulators are what AWS runs for us; the functions' processes, runtime client and handler, are what Lambda bills):",
    '',
    cpuByPartTable([m]),
    '',
    generatorHeadroom(m),
    '',
    `What limits it: ${limitNote(m)}`,
    '',
    ...mismatchLines(m.exactness),
    `The financial result's cost: the same measurement with the result off, its target a cost of at most ${formatNumber(TARGET_RESULT_COST_SHARE * 100)} % of the sustained rate.`,
    '',
    resultCostTable(m, resultOff),
    '',
    resultCostNote(m, resultOff),
    '',
    `Search with the result off (${searchRule(resultOff.plan.stepMs)}):`,
    '',
    stepsTable(resultOff.steps),
    '',
    ...mismatchLines(resultOff.exactness),
    `Machine: ${machineDescription()}. ${noiseNote([m, resultOff])} ${formatNumber(m.totalRecords)} records in ${(m.elapsedMs / 1000).toFixed(0)} s with the result on.`,
    '',
  ].join('\n');
}

/** The section as the report shows it, from its measurements. */
export function endToEndSection(measured: EndToEndMeasurements, quick: boolean): MeasuredSection {
  const { ours, resultOff } = measured;
  const checks = endToEndChecks(measured);
  const cost = resultCostShare(ours.sustainedRate, resultOff.sustainedRate);
  const figures = {
    ...endToEndFigures(ours, 'e2e'),
    'e2e.resultOff.sustainedRecordsPerSecond': resultOff.sustainedRate ?? 'none',
    'e2e.resultCostPercent': cost === undefined ? 'none' : Number((cost * 100).toFixed(1)),
  };
  return {
    markdown: endToEndMarkdown(measured, checks, quick),
    figures,
    checks,
    panels: panelsOfFigures('3. End to end', figures),
    // A difference from the ground truth is a wrong sum: it fails the run, unlike a timing off target.
    failures: [
      ...ours.exactness.map((line) => `differs from the producers' ground truth: ${line}`),
      ...resultOff.exactness.map(
        (line) => `with the result off, differs from the producers' ground truth: ${line}`,
      ),
    ],
  };
}
