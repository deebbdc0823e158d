import { describe, expect, it } from 'vitest';
import {
  billedMs,
  invocationShape,
  pipelineMonth,
  SECONDS_PER_MONTH,
  sparkMonth,
} from '../../../bench/cost/price-per-deal.js';
import { FIXED_MONTHLY, GLUE_STREAMING, HOURS_PER_MONTH, LAMBDA_ARM } from '../../../bench/cost/prices.js';
import { invocationsPerRun, PRICED_RATES, stackMapping } from '../../../bench/cost/section.js';

const mapping = { partitions: 3, batchSize: 500, windowSeconds: 2 };

describe('invocationShape', () => {
  it("fills a partition's batch with the window's deals, up to the batch size", () => {
    // Act
    const slow = invocationShape(100, mapping);
    const fast = invocationShape(10_000, mapping);

    // Assess
    expect(slow).toEqual({ recordsPerInvocation: 67, invocationsPerSecond: 100 / 67 });
    expect(fast).toEqual({ recordsPerInvocation: 500, invocationsPerSecond: 20 });
  });

  it('prices the rates of the issue with the stack’s own mapping settings', () => {
    // Act
    const sizes = PRICED_RATES.map((rate) => invocationShape(rate, stackMapping()).recordsPerInvocation);

    // Assess
    expect(PRICED_RATES).toEqual([100, 10_000]);
    expect(sizes.every((size) => size >= 1 && size <= stackMapping().batchSize)).toBe(true);
  });
});

describe('billedMs', () => {
  it("stretches the function's CPU by the vCPU share its memory buys and adds what it waited, rounded up", () => {
    // Prepare
    const invocation = {
      recordsPerInvocation: 500,
      functionCpuMs: 4,
      emulatorCpuMs: 1,
      wallMs: 10,
      eventBytes: 1,
    };

    // Act
    const atHalfVcpu = billedMs(invocation, 1_769 / 2);
    const atFullVcpu = billedMs(invocation, 1_769);
    const aboveFullVcpu = billedMs(invocation, 4_096);

    // Assess: 4 × 2 + (10 − 4 − 1); 4 + 5; never faster than a whole vCPU
    expect(atHalfVcpu).toBe(13);
    expect(atFullVcpu).toBe(9);
    expect(aboveFullVcpu).toBe(9);
  });
});

describe('pipelineMonth', () => {
  it('adds requests, GB-seconds, the per-volume lines and the fixed costs, and divides by the deals', () => {
    // Prepare
    const invocation = {
      recordsPerInvocation: 500,
      functionCpuMs: 1_769 / 512,
      emulatorCpuMs: 0,
      wallMs: 1_769 / 512,
      eventBytes: 0,
    };

    // Act
    const month = pipelineMonth(10_000, mapping, invocation, 512);

    // Assess
    const invocations = 20 * SECONDS_PER_MONTH;
    expect(month.billedMs).toBe(12);
    const lambda =
      (invocations / 1e6) * LAMBDA_ARM.usdPerMillionRequests +
      ((invocations * 12 * 512) / 1024 / 1000) * LAMBDA_ARM.usdPerGbSecond;
    const volume = month.perVolume.reduce((sum, line) => sum + line.usdPerMonth, 0);
    const fixed = FIXED_MONTHLY.reduce((sum, item) => sum + item.usdPerMonth, 0);
    expect(month.totalUsd).toBeCloseTo(lambda + volume + fixed, 6);
    expect(month.usdPerMillionDeals).toBeCloseTo(month.totalUsd / ((10_000 * SECONDS_PER_MONTH) / 1e6), 9);
    expect(month.provisionedPollerHours).toBe(HOURS_PER_MONTH);
  });

  it('refuses a measurement of another size than the rate makes', () => {
    // Prepare
    const invocation = {
      recordsPerInvocation: 10_000,
      functionCpuMs: 1,
      emulatorCpuMs: 0,
      wallMs: 1,
      eventBytes: 0,
    };

    // Act / Assess
    expect(() => pipelineMonth(100, mapping, invocation, 512)).toThrow(/records per invocation/);
  });
});

describe('sparkMonth', () => {
  it("runs Glue's smallest streaming job all month, whatever the rate", () => {
    // Act
    const slow = sparkMonth(100);
    const fast = sparkMonth(10_000);

    // Assess
    const glue =
      GLUE_STREAMING.minimumWorkers *
      GLUE_STREAMING.dpuPerWorker *
      GLUE_STREAMING.usdPerDpuHour *
      HOURS_PER_MONTH;
    expect(slow.glueUsd).toBeCloseTo(glue, 9);
    expect(fast.glueUsd).toBe(slow.glueUsd);
    expect(fast.crossZoneUsd).toBeCloseTo(slow.crossZoneUsd * 100, 6);
  });
});

describe('invocationsPerRun', () => {
  it('gives small events more invocations per run, within bounds', () => {
    expect(invocationsPerRun(67, false)).toBe(200);
    expect(invocationsPerRun(500, false)).toBe(40);
    expect(invocationsPerRun(10_000, false)).toBe(20);
    expect(invocationsPerRun(67, true)).toBe(50);
  });
});
