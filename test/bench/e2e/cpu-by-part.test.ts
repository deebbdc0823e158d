import { describe, expect, it } from 'vitest';
import { consumerShare, cpuByPartTable, idleShare, sustainedPhase } from '../../../bench/e2e/cpu-by-part.js';
import { LOAD_GENERATOR, OTHER_WORK } from '../../../bench/e2e/cpu-meter.js';
import { measurement, phase } from './measurement.js';

describe('CPU by part', () => {
  it("sums the consumer's parts, finds the sustained step and what was left idle", () => {
    // Prepare
    const cpu = { 'ESM emulator': 50, functions: 20, [LOAD_GENERATOR]: 10, [OTHER_WORK]: 5 };
    const m = measurement({
      cpuParts: ['ESM emulator', 'functions'],
      steps: [
        phase(40_000, { cpu }),
        phase(48_000, { verdict: { sustained: false, limitedBy: 'consumer', reason: 'fell behind' } }),
      ],
      sustainedRate: 40_000,
    });

    // Act
    const step = sustainedPhase(m);

    // Assess
    expect(step?.offeredRate).toBe(40_000);
    expect(consumerShare(m, cpu)).toBe(70);
    expect(idleShare(cpu, 2)).toBe(115);
  });

  it('shows each part in % of a core and ms per 1,000 records, and the idle share without a per-record figure', () => {
    // Prepare
    const cpu = { consumer: 40, [LOAD_GENERATOR]: 10 };
    const m = measurement({ steps: [phase(10_000, { cpu })], sustainedRate: 10_000 });

    // Act
    const table = cpuByPartTable([m], 2);

    // Assess: 40 % of a core is 400 ms a second; at 10,000 records/s, 40 ms per 1,000 records
    expect(table).toContain('| consumer | 40.0 % | 40.00 |');
    expect(table).toContain(`| ${LOAD_GENERATOR} | 10.0 % | 10.00 |`);
    expect(table).toContain('| idle: CPU to spare | 150.0 % | – |');
  });
});
