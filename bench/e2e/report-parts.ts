/**
 * The parts of the end-to-end report that the Spark section shows too: the tables of steps and
 * latencies, what limited a system, the noise, the drain, the figures, and the rules of the search as
 * sentences printed from the constants they describe. Pure but for the machine's description.
 */
import { cpus, totalmem } from 'node:os';
import { HISTOGRAM_BUCKET_MS } from '../../lambda/domain/batch-aggregate.js';
import { KAFKA_VERSION } from '../../local/infra/kafka/distribution.js';
import { markdownTable } from '../report/markdown.js';
import { formatNumber } from '../report/stats.js';
import { consumerShare } from './cpu-by-part.js';
import { formatCpu, OTHER_WORK } from './cpu-meter.js';
import { BUSY_MACHINE_SHARE, formatMs, type PhaseResult, type SystemMeasurement } from './harness.js';
import {
  BRACKET_RATIO,
  cpuMsPerThousand,
  MAX_AGE_GROWTH_SHARE,
  MAX_MEDIAN_OLDEST_AGE_MS,
  STEP_RATE_FACTOR,
} from './steady-state.js';

export function machineDescription(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, Kafka ${KAFKA_VERSION} (one KRaft broker, 1 GB heap), embedded PostgreSQL`;
}

const percentOf = (share: number) => `${formatNumber(share * 100)} %`;

/** How latency is read, as the report states it. */
export const LATENCY_RULE =
  `Latency is produce → commit per record: the batch row's committed_at − the record's Kafka timestamp, from the ${HISTOGRAM_BUCKET_MS} ms histogram written with each batch ` +
  `(a record counts from its bucket's start, so up to ${HISTOGRAM_BUCKET_MS} ms high).`;

/** When a step holds (judgeSteadyPhase), as the report states it. */
export const HOLD_RULE =
  "The rate is the highest step, offered at a constant rate by the producers, that the system held: everything committed, the age of each batch's oldest record at its commit flat across the step " +
  `(a least-squares line; growth ≤ ${percentOf(MAX_AGE_GROWTH_SHARE)} of the step or half a window) and its median ≤ ${formatNumber(MAX_MEDIAN_OLDEST_AGE_MS)} ms (two windows and a second).`;

/** How the next step's rate is chosen (nextStepRate) and when a step runs again, as the report states it. */
export function searchRule(stepMs: number): string {
  return (
    `steps of ${stepMs / 1000} s at a constant offered rate: up by 1/${STEP_RATE_FACTOR} while steps hold, down by ${STEP_RATE_FACTOR} while they fail, ` +
    `then halfway between the highest held and the lowest failed until they are within ${percentOf(BRACKET_RATIO - 1)}; ` +
    `a step lost while work outside the benchmark took over ${BUSY_MACHINE_SHARE} % of a core is run once more`
  );
}

export function stepsTable(steps: readonly PhaseResult[]): string {
  return markdownTable(
    [
      'offered records/s',
      'delivered',
      'p50 ms',
      'p99 ms',
      "oldest record's age at commit: median, growth ms",
      'verdict',
      OTHER_WORK,
    ],
    steps.map((step) => [
      formatNumber(step.offeredRate),
      formatNumber(step.deliveredRate),
      formatMs(step.p50Ms),
      formatMs(step.p99Ms),
      `${formatMs(step.medianAgeMs)}, ${formatMs(step.growthMs)}`,
      step.verdict.sustained ? 'held' : `not held: ${step.verdict.reason}`,
      `${formatNumber(step.cpu[OTHER_WORK] ?? 0)} %`,
    ]),
    ['right', 'right', 'right', 'right', 'left', 'left', 'right'],
  );
}

export function latencyTable(measurement: SystemMeasurement): string {
  return markdownTable(
    ['load', 'offered records/s', 'records measured', 'p50 ms', 'p99 ms', 'max ms'],
    measurement.latency.map(({ fraction, phase }) => [
      `${Math.round(fraction * 100)} %`,
      formatNumber(phase.offeredRate),
      formatNumber(phase.measured),
      formatMs(phase.p50Ms),
      formatMs(phase.p99Ms),
      formatMs(phase.maxMs),
    ]),
    ['right', 'right', 'right', 'right', 'right', 'right'],
  );
}

export function latencyAt(measurement: SystemMeasurement, fraction: number): PhaseResult | undefined {
  return measurement.latency.find((entry) => entry.fraction === fraction)?.phase;
}

export function endToEndFigures(m: SystemMeasurement, prefix: string): Record<string, number | string> {
  const figures: Record<string, number | string> = {
    [`${prefix}.sustainedRecordsPerSecond`]: m.sustainedRate ?? 'none',
    [`${prefix}.drainRecordsPerSecond`]: Math.round(m.drainRate),
    [`${prefix}.producerRecordsPerSecond`]: Math.round(m.producerRate),
    [`${prefix}.exact`]: m.exactness.length === 0 ? 'yes' : 'no',
  };
  for (const { fraction, phase } of m.latency) {
    const load = `load${Math.round(fraction * 100)}`;
    figures[`${prefix}.${load}.recordsPerSecond`] = phase.offeredRate;
    figures[`${prefix}.${load}.p50Ms`] = phase.p50Ms ?? 'none';
    figures[`${prefix}.${load}.p99Ms`] = phase.p99Ms ?? 'none';
  }
  return figures;
}

/** How much of the machine work outside the benchmark took while the systems were measured: the figures' noise. */
export function noiseNote(measurements: readonly SystemMeasurement[]): string {
  const shares = measurements.flatMap((m) =>
    [...m.steps, ...m.latency.map((entry) => entry.phase)].map((phase) => phase.cpu[OTHER_WORK] ?? 0),
  );
  if (shares.length === 0) return '';
  const mean = shares.reduce((sum, share) => sum + share, 0) / shares.length;
  const max = Math.max(...shares);
  return (
    `Work outside the benchmark took ${formatNumber(mean)} % of a core on average during the steps, ${formatNumber(max)} % at most` +
    (max >= BUSY_MACHINE_SHARE ? ', so these figures are noisy.' : '.')
  );
}

/** The drain, as a sentence. */
export function drainSentence(m: SystemMeasurement): string {
  const peak =
    m.drainPeakRate === undefined
      ? ' (the preload went in one batch)'
      : `; ${formatNumber(m.drainPeakRate)} records/s from its first commit to the 90 % one`;
  return (
    `Catching up on ${formatNumber(m.preloadRecords)} preloaded records from a cold start, the consumer alone: ` +
    `${formatNumber(m.drainRate)} records/s to 90 % committed, counted from its start${peak}. ` +
    `The producers alone: ${formatNumber(m.producerRate)} records/s.`
  );
}

/** The consumer's CPU per 1,000 records at 80 % load: its cost, whatever else shares the machine. */
export function consumerCost(m: SystemMeasurement): number | undefined {
  const phase = latencyAt(m, 0.8);
  if (phase === undefined) return undefined;
  return cpuMsPerThousand(consumerShare(m, phase.cpu), phase.offeredRate);
}

/** What stopped the search: the lowest failed step above the sustained rate, and where the CPU went. */
export function limitNote(measurement: SystemMeasurement, cores: number = cpus().length): string {
  const sustained = measurement.sustainedRate ?? 0;
  const coreUnit = `% of one core, ${cores * 100} % in all`;
  const failedAbove = lowestFailedAbove(measurement);
  if (failedAbove) {
    return (
      `At ${formatNumber(failedAbove.offeredRate)} records/s ${failedAbove.verdict.reason}. ` +
      `CPU at that step (${coreUnit}): ${formatCpu(failedAbove.cpu)}.`
    );
  }
  const top = measurement.steps.find((step) => step.offeredRate === measurement.sustainedRate);
  if (!top) return 'No step ran.';
  const stop =
    sustained >= Math.round(measurement.producerRate / 1_000) * 1_000
      ? `the producers' own rate (${formatNumber(measurement.producerRate)} records/s with the machine to themselves)`
      : `the search's step limit (${measurement.plan.maxSteps})`;
  return (
    `Every step held, up to ${stop}: the figure is a lower bound. ` +
    `CPU at the highest step (${coreUnit}): ${formatCpu(top.cpu)}.`
  );
}

/** The lowest step above the sustained rate that did not hold: what bounded the search. */
export function lowestFailedAbove(m: SystemMeasurement): PhaseResult | undefined {
  const sustained = m.sustainedRate ?? 0;
  return m.steps
    .filter((step) => !step.verdict.sustained && step.offeredRate > sustained)
    .sort((a, b) => a.offeredRate - b.offeredRate)[0];
}

/** The first lines of a mismatch list, for the report. */
export function mismatchLines(exactness: readonly string[]): string[] {
  return exactness.slice(0, 5).map((line) => `- MISMATCH ${line}`);
}
