/**
 * The steps, the same for every system: preload, catch-up, the search for the highest sustained rate,
 * and latency at fractions of it, each step judged from what the system committed.
 */
import type pg from 'pg';
import { readBatchTimings } from '../../local/verify/stats/batch-timings.js';
import { latencySample } from '../../local/verify/stats/latency.js';
import { formatNumber } from '../report/stats.js';
import { waitForCommitted } from './committed.js';
import { CpuMeter, type CpuShares, formatCpu, OTHER_WORK } from './cpu-meter.js';
import type { LoadGenerator } from './load/load-generator.js';
import { type BenchPlan, LOAD_FRACTIONS } from './plan.js';
import {
  drainRate,
  judgeSteadyPhase,
  nextStepRate,
  oldestAgeGrowth,
  roundRate,
  type SteadyVerdict,
} from './steady-state.js';
import type { StreamingSystem } from './streaming-system.js';

export interface PhaseResult {
  readonly offeredRate: number;
  readonly deliveredRate: number;
  readonly durationMs: number;
  /** Records whose latency was measured (those produced in the step). */
  readonly measured: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly maxMs: number | undefined;
  /** Growth of the oldest record's age at commit over the step, and its median (see oldestAgeGrowth). */
  readonly growthMs: number | undefined;
  readonly medianAgeMs: number | undefined;
  readonly batches: number;
  readonly cpu: CpuShares;
  readonly verdict: SteadyVerdict;
}

export interface SystemMeasurement {
  readonly system: string;
  readonly cpuRole: string;
  readonly cpuParts: readonly string[];
  readonly plan: BenchPlan;
  readonly preloadRecords: number;
  /** The producers alone (the consumer not yet started), records/s. */
  readonly producerRate: number;
  /** The consumer alone on a preloaded topic, from a cold start (see drainRate). */
  readonly drainRate: number;
  readonly drainPeakRate: number | undefined;
  /** From its start to its last commit of the preload. */
  readonly drainMs: number;
  readonly steps: readonly PhaseResult[];
  /** The highest step rate that held; undefined when none did. */
  readonly sustainedRate: number | undefined;
  readonly latency: readonly { readonly fraction: number; readonly phase: PhaseResult }[];
  /** Differences from the producers' ground truth; empty when the aggregates are exact. */
  readonly exactness: readonly string[];
  readonly totalRecords: number;
  readonly elapsedMs: number;
}

export interface HarnessContext {
  readonly db: pg.Client;
  readonly fleet: LoadGenerator;
  readonly plan: BenchPlan;
  readonly log: (line: string) => void;
  /** Names a process for the CPU figures, given the system's own processes. */
  readonly cpuLabel: (pid: number, comm: string) => string;
  /** What to run besides the plan's defaults. */
  readonly search?: SearchOptions;
}

/** A search started elsewhere than the plan says, and the latency left out (a baseline's run). */
export interface SearchOptions {
  /**
   * The first step's rate, rounded to thousands: a baseline starts where the system it is compared
   * with settled, so that it needs fewer steps. @default the plan's fraction of the catch-up or producers' rate
   */
  readonly firstRate?: number;
  /** Latency at 10, 50 and 80 % of the sustained rate after the search. @default true */
  readonly latency?: boolean;
}

/** Work outside the benchmark above this (% of one core) during a failed step has the step run again. */
export const BUSY_MACHINE_SHARE = 50;
// A step's records may still be in flight this long after the producers stop before the step fails.
const DRAIN_AFTER_STEP_MS = 30_000;
// The first second of a step is left out of its latency: the consumer may still be finishing the
// previous step's tail then.
const STEP_SETTLE_MS = 1_000;

async function runPhase(
  system: StreamingSystem,
  context: HarnessContext,
  cpu: CpuMeter,
  ratePerSecond: number,
  durationMs: number,
): Promise<PhaseResult> {
  const { db, fleet } = context;
  cpu.restart();
  const produced = await fleet.produce(Math.round((ratePerSecond * durationMs) / 1000), ratePerSecond);
  const shares = cpu.read();
  const state = await waitForCommitted(db, system, fleet.produced, DRAIN_AFTER_STEP_MS);
  const batches = await readBatchTimings(db, {
    schema: system.batchSchema,
    producedSince: produced.startedAt,
  });
  const from = produced.startedAt + STEP_SETTLE_MS;
  const to = produced.endedAt;
  const all = latencySample(batches, { from, to });
  const growth = oldestAgeGrowth(batches, from, to);
  const phase = {
    offeredRate: ratePerSecond,
    deliveredRate: produced.rate,
    durationMs: produced.endedAt - produced.startedAt,
    measured: all.count,
    p50Ms: all.percentile(0.5),
    p99Ms: all.percentile(0.99),
    maxMs: all.percentile(1),
    growthMs: growth?.growthMs,
    medianAgeMs: growth?.medianAgeMs,
    batches: batches.length,
    cpu: shares,
  };
  const verdict = judgeSteadyPhase({
    offeredRate: ratePerSecond,
    deliveredRate: produced.rate,
    drained: state.drained,
    spanMs: to - from,
    growthMs: growth?.growthMs,
    medianAgeMs: growth?.medianAgeMs,
  });
  if (!state.drained) {
    // The next step must not start on top of this one's backlog.
    await waitForCommitted(db, system, fleet.produced, 5 * DRAIN_AFTER_STEP_MS);
  }
  return { ...phase, verdict };
}

/**
 * The same steps for every system: the producers preload the topic alone; the system starts and
 * catches up on it; steps at a constant rate, starting from a fraction of the lower of the catch-up and
 * producer rates (or at `search.firstRate`) and searched up and down (nextStepRate) for the highest
 * that holds; then 10, 50 and 80 % of that rate for the latency, unless `search.latency` is false.
 */
export async function measureSystem(
  system: StreamingSystem,
  context: HarnessContext,
): Promise<SystemMeasurement> {
  const { db, fleet, plan, log } = context;
  const began = Date.now();
  const cpu = new CpuMeter(context.cpuLabel);

  log(
    `${system.name}: preloading ${formatNumber(plan.preloadRecords)} records with ${plan.producers} producers`,
  );
  const preload = await fleet.produce(plan.preloadRecords, undefined);
  log(`${system.name}: producers alone: ${formatNumber(preload.rate)} records/s`);

  const startedAt = await system.start();
  try {
    const drained = await waitForCommitted(db, system, fleet.produced, 300_000);
    if (!drained.drained || drained.lastCommittedAt === undefined) {
      throw new Error(
        `${system.name} committed ${drained.records} of ${fleet.produced} preloaded records within 300 s`,
      );
    }
    const drainMs = drained.lastCommittedAt - startedAt;
    const drain = drainRate(await readBatchTimings(db, { schema: system.batchSchema }), startedAt);
    log(
      `${system.name}: drained the preload at ${formatNumber(drain.rate)} records/s from a cold start${drain.peakRate === undefined ? '' : `, ${formatNumber(drain.peakRate)} records/s at its peak`}`,
    );

    const steps: PhaseResult[] = [];
    let sustainedRate: number | undefined;
    const ceiling = preload.rate;
    const seed = plan.seedFromCatchUp ? Math.min(drain.rate, ceiling) : ceiling;
    let rate: number | undefined = roundRate(context.search?.firstRate ?? seed * plan.firstStepFraction);
    while (rate !== undefined && steps.length < plan.maxSteps) {
      let step = await runPhase(system, context, cpu, rate, plan.stepMs);
      steps.push(step);
      log(
        `${system.name}: step ${formatNumber(rate)} records/s: ${step.verdict.reason}; p99 ${formatMs(step.p99Ms)} ms; CPU ${formatCpu(step.cpu)}`,
      );
      // Work outside the benchmark comes in bursts: a step lost while the machine was busy with it (by
      // the consumer or by the producers, which share the same cores) is run once more before it counts.
      if (
        !step.verdict.sustained &&
        (step.cpu[OTHER_WORK] ?? 0) >= BUSY_MACHINE_SHARE &&
        steps.length < plan.maxSteps
      ) {
        step = await runPhase(system, context, cpu, rate, plan.stepMs);
        steps.push(step);
        log(
          `${system.name}: step ${formatNumber(rate)} records/s again (the machine was busy): ${step.verdict.reason}`,
        );
      }
      if (step.verdict.sustained) sustainedRate = Math.max(sustainedRate ?? 0, rate);
      rate = nextStepRate(
        steps.map((s) => ({ rate: s.offeredRate, held: s.verdict.sustained })),
        ceiling,
      );
    }

    const base = sustainedRate ?? steps[steps.length - 1]?.offeredRate ?? 1_000;
    const latency: { fraction: number; phase: PhaseResult }[] = [];
    for (const fraction of context.search?.latency === false ? [] : LOAD_FRACTIONS) {
      const phase = await runPhase(system, context, cpu, Math.round(base * fraction), plan.latencyPhaseMs);
      latency.push({ fraction, phase });
      log(
        `${system.name}: ${Math.round(fraction * 100)} % load (${formatNumber(phase.offeredRate)} records/s): p50 ${formatMs(phase.p50Ms)} ms, p99 ${formatMs(phase.p99Ms)} ms`,
      );
    }
    await system.stop();
    const exactness = await system.verify(db, fleet.totals);
    return {
      system: system.name,
      cpuRole: system.cpuRole,
      cpuParts: system.cpuParts,
      plan,
      preloadRecords: plan.preloadRecords,
      producerRate: preload.rate,
      drainRate: drain.rate,
      drainPeakRate: drain.peakRate,
      drainMs,
      steps,
      sustainedRate,
      latency,
      exactness,
      totalRecords: fleet.produced,
      elapsedMs: Date.now() - began,
    };
  } finally {
    await system.stop();
  }
}

/** A latency in whole milliseconds for the log and the report; "–" when there was none. */
export function formatMs(value: number | undefined): string {
  return value === undefined ? '–' : formatNumber(value);
}
