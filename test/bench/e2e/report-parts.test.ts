import { describe, expect, it } from 'vitest';
import { OTHER_WORK } from '../../../bench/e2e/cpu-meter.js';
import {
  HOLD_RULE,
  limitNote,
  lowestFailedAbove,
  noiseNote,
  searchRule,
  stepsTable,
} from '../../../bench/e2e/report-parts.js';
import { MAX_AGE_GROWTH_SHARE, STEP_RATE_FACTOR } from '../../../bench/e2e/steady-state.js';
import { measurement, phase } from './measurement.js';

describe('the rules as the report prints them', () => {
  it('come from the constants the search uses', () => {
    expect(searchRule(8_000)).toContain(
      `up by 1/${STEP_RATE_FACTOR} while steps hold, down by ${STEP_RATE_FACTOR}`,
    );
    expect(HOLD_RULE).toContain(`growth ≤ ${Math.round(MAX_AGE_GROWTH_SHARE * 100)} % of the step`);
  });
});

describe('stepsTable', () => {
  it('has a row per step, with its verdict and the work outside the benchmark', () => {
    // Act
    const table = stepsTable(measurement().steps).split('\n');

    // Assess
    expect(table).toHaveLength(2 + 2);
    expect(table[0]).toContain(OTHER_WORK);
    expect(table[1]).toBe('| ---: | ---: | ---: | ---: | --- | --- | ---: |');
    expect(table[3]).toContain('not held: the consumer fell behind');
  });
});

describe('limitNote', () => {
  it('names the lowest failed step above the sustained rate', () => {
    // Prepare
    const m = measurement();

    // Act & Assess
    expect(lowestFailedAbove(m)?.offeredRate).toBe(48_000);
    expect(limitNote(m, 2)).toMatch(
      /^At 48,000 records\/s the consumer fell behind\. CPU at that step \(% of one core, 200 % in all\)/,
    );
  });

  it('calls the figure a lower bound when every step held', () => {
    const m = measurement({ steps: [phase(40_000)] });
    expect(limitNote(m, 2)).toContain(
      "Every step held, up to the search's step limit (2): the figure is a lower bound.",
    );
  });
});

describe('noiseNote', () => {
  it('says how much work outside the benchmark took, and nothing of who did it', () => {
    // Prepare
    const busy = phase(40_000, { cpu: { [OTHER_WORK]: 80 } });
    const m = measurement({ steps: [busy] });

    // Act
    const note = noiseNote([m]);

    // Assess
    expect(note).toMatch(
      /^Work outside the benchmark took \d+ % of a core on average during the steps, 80 % at most, so these figures are noisy\.$/,
    );
    expect(note).not.toMatch(/engineer|share this machine/);
  });
});
