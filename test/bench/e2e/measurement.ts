import type { PhaseResult, SystemMeasurement } from '../../../bench/e2e/harness.js';
import { benchPlan } from '../../../bench/e2e/plan.js';

/** A step at `offeredRate`, held unless a reason is given. */
export function phase(offeredRate: number, overrides: Partial<PhaseResult> = {}): PhaseResult {
  return {
    offeredRate,
    deliveredRate: offeredRate,
    durationMs: 8_000,
    measured: offeredRate * 8,
    p50Ms: 1_200,
    p99Ms: 2_100,
    maxMs: 2_200,
    growthMs: 10,
    medianAgeMs: 2_500,
    batches: 12,
    cpu: { consumer: 80, "load generator (Kafka's Java producer)": 20 },
    verdict: { sustained: true, limitedBy: undefined, reason: 'kept up' },
    ...overrides,
  };
}

/** A quick measurement that held 40,000 records/s and failed 48,000 for the consumer. */
export function measurement(overrides: Partial<SystemMeasurement> = {}): SystemMeasurement {
  const failed = phase(48_000, {
    verdict: { sustained: false, limitedBy: 'consumer', reason: 'the consumer fell behind' },
  });
  return {
    system: 'treasury-stream',
    cpuRole: 'consumer',
    cpuParts: ['consumer'],
    plan: benchPlan(true),
    preloadRecords: 100_000,
    producerRate: 90_000,
    drainRate: 60_000,
    drainPeakRate: 70_000,
    drainMs: 1_700,
    steps: [phase(40_000), failed],
    sustainedRate: 40_000,
    latency: [0.1, 0.5, 0.8].map((fraction) => ({ fraction, phase: phase(40_000 * fraction) })),
    exactness: [],
    totalRecords: 500_000,
    elapsedMs: 60_000,
    ...overrides,
  };
}
