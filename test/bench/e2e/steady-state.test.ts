import { describe, expect, it } from 'vitest';
import {
  cpuMsPerThousand,
  drainRate,
  judgeSteadyPhase,
  nextStepRate,
  oldestAgeGrowth,
} from '../../../bench/e2e/steady-state.js';
import { batch } from './batch-timing.js';

describe('oldestAgeGrowth', () => {
  it('is about zero for a consumer that commits every batch at the same age', () => {
    // Prepare: a batch every 2 s, each committed 2.1 s after its oldest record
    const batches = Array.from({ length: 10 }, (_, i) => batch(i * 2_000 + 2_100, i * 2_000, [1]));

    // Act
    const growth = oldestAgeGrowth(batches, 0, 20_000);

    // Assess
    expect(growth?.batches).toBe(10);
    expect(growth?.medianAgeMs).toBe(2_100);
    expect(Math.abs(growth?.growthMs ?? Number.NaN)).toBeLessThan(1);
  });

  it('grows by (1 − capacity/rate) per second for a consumer that falls behind', () => {
    // Prepare: the age grows by 200 ms per second of commit time
    const batches = Array.from({ length: 10 }, (_, i) => {
      const committedAt = 2_000 + i * 2_000;
      return batch(committedAt, committedAt - 2_000 - 0.2 * i * 2_000, [1]);
    });

    // Act
    const growth = oldestAgeGrowth(batches, -10_000, 20_000);

    // Assess: 0.2 × the 30 s range asked about
    expect(growth?.growthMs).toBeCloseTo(6_000, 0);
  });

  it('does not judge fewer than three batches', () => {
    expect(oldestAgeGrowth([batch(2_000, 0, [1]), batch(4_000, 2_000, [1])], 0, 10_000)).toBeUndefined();
  });
});

describe('judgeSteadyPhase', () => {
  const base = {
    offeredRate: 50_000,
    deliveredRate: 50_000,
    drained: true,
    spanMs: 20_000,
    growthMs: 100,
    medianAgeMs: 2_300,
  };

  it('holds when everything was offered and committed and the age stayed flat', () => {
    expect(judgeSteadyPhase(base)).toMatchObject({ sustained: true });
  });

  it('blames the producers when they offered less than 97 % of the rate', () => {
    expect(judgeSteadyPhase({ ...base, deliveredRate: 47_000 })).toMatchObject({
      sustained: false,
      limitedBy: 'producers',
    });
  });

  it('blames the consumer when the oldest record aged by more than 5 % of the step', () => {
    expect(judgeSteadyPhase({ ...base, spanMs: 30_000, growthMs: 1_600 })).toMatchObject({
      sustained: false,
      limitedBy: 'consumer',
    });
    expect(judgeSteadyPhase({ ...base, drained: false })).toMatchObject({
      sustained: false,
      limitedBy: 'consumer',
    });
  });

  it('does not hold when records queue, even if the queue did not grow', () => {
    expect(judgeSteadyPhase({ ...base, medianAgeMs: 6_000 })).toMatchObject({
      sustained: false,
      limitedBy: 'consumer',
    });
  });

  it('allows half a window of jitter on a short step', () => {
    expect(judgeSteadyPhase({ ...base, spanMs: 6_000, growthMs: 950 })).toMatchObject({ sustained: true });
    expect(judgeSteadyPhase({ ...base, spanMs: 6_000, growthMs: 1_050 })).toMatchObject({ sustained: false });
  });

  it('does not hold without a measurement', () => {
    expect(judgeSteadyPhase({ ...base, growthMs: undefined })).toMatchObject({ sustained: false });
  });
});

describe('nextStepRate', () => {
  it('steps down by 15 % while every step fails', () => {
    expect(nextStepRate([{ rate: 100_000, held: false }], 120_000)).toBe(85_000);
  });

  it('steps up by 1/0.85 while every step holds, never past the ceiling', () => {
    expect(nextStepRate([{ rate: 40_000, held: true }], 120_000)).toBe(47_000);
    expect(nextStepRate([{ rate: 110_000, held: true }], 120_000)).toBe(120_000);
    expect(nextStepRate([{ rate: 120_000, held: true }], 120_000)).toBeUndefined();
  });

  it('bisects once a held and a failed rate bracket the answer, and stops within 5 %', () => {
    const bracketed = [
      { rate: 100_000, held: false },
      { rate: 85_000, held: false },
      { rate: 72_000, held: true },
    ];
    expect(nextStepRate(bracketed, 120_000)).toBe(79_000);
    const narrower = [...bracketed, { rate: 79_000, held: true }];
    expect(nextStepRate(narrower, 120_000)).toBe(82_000);
    expect(nextStepRate([...narrower, { rate: 82_000, held: true }], 120_000)).toBeUndefined();
  });

  it('treats a failure below a held rate as noise', () => {
    const steps = [
      { rate: 50_000, held: true },
      { rate: 40_000, held: false },
    ];
    expect(nextStepRate(steps, 120_000)).toBe(59_000);
  });
});

describe('drainRate', () => {
  it('counts from the start to the batch reaching 90 %, and gives the peak between commits', () => {
    // Prepare: the first batch 2 s after the start, then 10,000 records every 100 ms
    const commits = Array.from({ length: 10 }, (_, i) => ({
      committedAt: 2_000 + i * 100,
      recordCount: 10_000,
    }));

    // Act
    const drain = drainRate(commits, 0);

    // Assess: 90,000 records by 2,800 ms; 80,000 from the 1st commit to the 9th in 800 ms
    expect(drain.rate).toBeCloseTo(32_143, 0);
    expect(drain.peakRate).toBe(100_000);
  });

  it('has no peak when the preload went in one batch', () => {
    expect(drainRate([{ committedAt: 5_000, recordCount: 100_000 }], 1_000)).toEqual({
      rate: 25_000,
      peakRate: undefined,
    });
  });
});

describe('cpuMsPerThousand', () => {
  it('turns a share of a core at a rate into CPU ms per 1,000 records', () => {
    expect(cpuMsPerThousand(50, 100_000)).toBe(5);
    expect(cpuMsPerThousand(undefined, 100_000)).toBeUndefined();
  });
});
