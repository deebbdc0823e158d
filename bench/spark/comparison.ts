/**
 * Our pipeline and the Spark peer side by side: the comparison table, the section's targets as checks,
 * and its markdown and figures. Pure.
 */
import { cpuByPartTable, generatorHeadroom } from '../e2e/cpu-by-part.js';
import { formatMs, type SystemMeasurement } from '../e2e/harness.js';
import { LOAD_FRACTIONS, WINDOW_MS } from '../e2e/plan.js';
import {
  consumerCost,
  drainSentence,
  endToEndFigures,
  HOLD_RULE,
  latencyAt,
  latencyTable,
  limitNote,
  lowestFailedAbove,
  machineDescription,
  mismatchLines,
  noiseNote,
  searchRule,
  stepsTable,
} from '../e2e/report-parts.js';
import { markdownTable, verdict } from '../report/markdown.js';
import type { TargetCheck } from '../report/section.js';
import { atLeast, formatNumber } from '../report/stats.js';
import { SPARK_VERSION } from './build.js';
import { SPARK_HEAP } from './spark-system.js';

/** The section's target (issue 23): at least this many times Spark's sustained rate, at an equal or better p99. */
export const TARGET_THROUGHPUT_RATIO = 1.5;

export function ratio(ours: number | undefined, theirs: number | undefined): number | undefined {
  return ours === undefined || theirs === undefined || theirs === 0 ? undefined : ours / theirs;
}

function times(value: number | undefined): string {
  return value === undefined ? '–' : `${value.toFixed(1)}×`;
}

/** "p99 2.1× lower" when ours is below theirs, "p99 1.2× higher" when above. */
export function compare(
  ours: number | undefined,
  theirs: number | undefined,
  what: string,
  below: string,
  above: string,
): string {
  if (ours === undefined || theirs === undefined || ours <= 0 || theirs <= 0) return '–';
  return ours <= theirs
    ? `${what} ${times(theirs / ours)} ${below}`
    : `${what} ${times(ours / theirs)} ${above}`;
}

/** Ours at or below Spark's p99 at every load. */
export function p99EqualOrBetter(ours: SystemMeasurement, spark: SystemMeasurement): boolean {
  return LOAD_FRACTIONS.every((fraction) => {
    const a = latencyAt(ours, fraction)?.p99Ms;
    const b = latencyAt(spark, fraction)?.p99Ms;
    return a !== undefined && b !== undefined && a <= b;
  });
}

export function comparisonChecks(ours: SystemMeasurement, spark: SystemMeasurement): TargetCheck[] {
  const throughput = ratio(ours.sustainedRate, spark.sustainedRate);
  const p99Ok = p99EqualOrBetter(ours, spark);
  return [
    {
      what: "Spark peer: our sustained rate ÷ Spark's",
      value: throughput ?? 0,
      shown: times(throughput),
      target: atLeast(TARGET_THROUGHPUT_RATIO),
      targetShown: `≥ ${TARGET_THROUGHPUT_RATIO}×`,
    },
    {
      what: "Spark peer: our p99 ≤ Spark's at every load",
      value: p99Ok ? 1 : 0,
      shown: p99Ok ? 'yes' : 'no',
      target: atLeast(1),
      targetShown: 'yes',
    },
  ];
}

function comparisonNote(ours: SystemMeasurement, spark: SystemMeasurement): string {
  const note: string[] = [];
  const boundByProducers = [ours, spark].some((m) => lowestFailedAbove(m)?.verdict.limitedBy === 'producers');
  if (boundByProducers) {
    note.push(
      'The load generator runs on the same cores as the consumers, ' +
        'so a step lost because "the producers offered only …" measures the machine, not the consumer; ' +
        'the table of CPU by part shows how much it took and how much was left idle.',
    );
  }
  note.push(
    "Our consumer is the event poller (Kafka's Java consumer, as Spark reads the topic: it fetches and decompresses the records and encodes them as an MSK event), the Runtime Interface Emulators and the functions' processes: in AWS the event source mapping and the runtime API are Lambda's, and only the functions' processes are billed (section 6 prices them).",
  );
  return note.join(' ');
}

function comparisonTable(ours: SystemMeasurement, spark: SystemMeasurement): string {
  const rows = [
    [
      'highest sustained rate, records/s',
      formatMs(ours.sustainedRate),
      formatMs(spark.sustainedRate),
      times(ratio(ours.sustainedRate, spark.sustainedRate)),
    ],
    [
      `catching up on ${formatNumber(ours.preloadRecords)} preloaded records from a cold start, records/s`,
      formatNumber(ours.drainRate),
      formatNumber(spark.drainRate),
      times(ratio(ours.drainRate, spark.drainRate)),
    ],
  ];
  for (const fraction of LOAD_FRACTIONS) {
    const a = latencyAt(ours, fraction);
    const b = latencyAt(spark, fraction);
    rows.push([
      `p50 / p99 ms at ${Math.round(fraction * 100)} % of each one's sustained rate`,
      `${formatMs(a?.p50Ms)} / ${formatMs(a?.p99Ms)} (at ${formatMs(a?.offeredRate)}/s)`,
      `${formatMs(b?.p50Ms)} / ${formatMs(b?.p99Ms)} (at ${formatMs(b?.offeredRate)}/s)`,
      compare(a?.p99Ms, b?.p99Ms, 'p99', 'lower', 'higher'),
    ]);
  }
  const ourCost = consumerCost(ours);
  const sparkCost = consumerCost(spark);
  const exact = (m: SystemMeasurement) => (m.exactness.length === 0 ? 'yes' : 'no');
  rows.push(
    [
      'consumer CPU per 1,000 records at 80 % load, ms',
      ourCost?.toFixed(1) ?? '–',
      sparkCost?.toFixed(1) ?? '–',
      compare(ourCost, sparkCost, 'CPU', 'less', 'more'),
    ],
    ["aggregates equal the producers' ground truth", exact(ours), exact(spark), ''],
  );
  return markdownTable(['', 'treasury-stream', 'Spark', 'ours vs Spark'], rows, [
    'left',
    'right',
    'right',
    'right',
  ]);
}

export function sideBySideMarkdown(
  ours: SystemMeasurement,
  spark: SystemMeasurement,
  checks: readonly TargetCheck[],
  quick: boolean,
  javaVersion: string,
): string {
  return [
    `### The peer: the tutorial's Spark Structured Streaming, in the same run${quick ? ' (quick run: short steps, indicative only)' : ''}`,
    '',
    `Spark ${SPARK_VERSION} (Scala 2.12, from Maven Central) in local mode, all cores, on ${javaVersion}, ${SPARK_HEAP.slice(4)} heap; the job is bench/spark/peer. ` +
      `It reads the same topic (a broker of its own, started the same way, fed by the same load generator with the same deals in the same order), parses the JSON with from_json, ` +
      `and every ${WINDOW_MS / 1000} s trigger, in foreachBatch, sums amount (decimal) and counts per branch × currency and writes the rows over JDBC in one transaction, ` +
      "with a row per batch (committed_at, the 5 ms histogram of its records' Kafka timestamps) so that latency comes out the same way as ours. " +
      'One Spark job per batch computes sums and histogram together, and one JDBC connection is kept open: the peer is given its best chance. ' +
      `Tuned as anyone running Spark locally would: shuffle partitions = cores, UI off. ${HOLD_RULE}`,
    '',
    comparisonTable(ours, spark),
    '',
    `Target: ≥ ${TARGET_THROUGHPUT_RATIO}× Spark's sustained throughput at an equal or better p99:`,
    '',
    markdownTable(
      ['figure', 'measured', 'target', ''],
      checks.map((check) => [check.what, check.shown, check.targetShown, verdict(check)]),
    ),
    '',
    comparisonNote(ours, spark),
    '',
    "CPU by part at each one's sustained step (% of one core, and ms per 1,000 records delivered):",
    '',
    cpuByPartTable([ours, spark]),
    '',
    `${generatorHeadroom(ours)} ${generatorHeadroom(spark)}`,
    '',
    'Spark, latency at its own loads:',
    '',
    latencyTable(spark),
    '',
    `Spark, search for the sustained rate (${searchRule(spark.plan.stepMs)}):`,
    '',
    stepsTable(spark.steps),
    '',
    drainSentence(spark),
    '',
    `What limits Spark: ${limitNote(spark)}`,
    '',
    ...mismatchLines(spark.exactness),
    `Machine: ${machineDescription()}. Both systems ran one after the other on brokers and databases of their own. ${noiseNote([ours, spark])}`,
    '',
  ].join('\n');
}

export function sparkFigures(
  spark: SystemMeasurement,
  ours: SystemMeasurement,
): Record<string, number | string> {
  const throughputRatio = ratio(ours.sustainedRate, spark.sustainedRate);
  return {
    ...endToEndFigures(spark, 'spark'),
    'spark.throughputRatio': throughputRatio === undefined ? 'none' : Number(throughputRatio.toFixed(2)),
  };
}
