import { describe, expect, it } from 'vitest';
import { cpuModelOf } from '../../../bench/report/machine.js';

describe('cpuModelOf', () => {
  it('reads the model name from /proc/cpuinfo, or falls back', () => {
    // Act and assess
    expect(cpuModelOf('processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t: x\n', 'os')).toBe(
      'AMD EPYC 7B13',
    );
    expect(cpuModelOf(undefined, 'Apple M2')).toBe('Apple M2');
    expect(cpuModelOf('processor\t: 0\n', 'Apple M2')).toBe('Apple M2');
  });
});
