import { describe, expect, it } from 'vitest';
import {
  descendantsIn,
  formatCpu,
  OTHER_WORK,
  parseMachineTicks,
  sharesBetween,
} from '../../../bench/e2e/cpu-meter.js';
import type { ProcStat } from '../../../bench/proc-stat.js';

function proc(pid: number, ppid: number, comm: string, ticks: number): [number, ProcStat] {
  return [pid, { pid, ppid, comm, utime: ticks, stime: 0 }];
}

describe('parseMachineTicks', () => {
  it('counts user, nice, system, irq, softirq and steal as busy, idle and iowait as not', () => {
    // Act
    const ticks = parseMachineTicks('cpu  10 1 5 100 4 2 3 7 0 0\ncpu0 5 0 2 50 2 1 1 3 0 0\n');

    // Assess
    expect(ticks).toEqual({ busy: 10 + 1 + 5 + 2 + 3 + 7, total: 28 + 100 + 4 });
  });
});

describe('descendantsIn', () => {
  it('finds the root and everything below it, and nothing beside it', () => {
    // Prepare
    const table = new Map([
      proc(1, 0, 'init', 0),
      proc(10, 1, 'node', 0),
      proc(11, 10, 'java', 0),
      proc(12, 11, 'x', 0),
      proc(20, 1, 'other', 0),
    ]);

    // Act & Assess
    expect([...descendantsIn(10, table)].sort((a, b) => a - b)).toEqual([10, 11, 12]);
  });
});

describe('sharesBetween', () => {
  it('gives each role its % of one core, and the rest of the machine as work outside the benchmark', () => {
    // Prepare: over 2 s at 100 ticks/s, our two processes used 100 and 50 ticks; the machine's two
    // cores were busy 300 of 400 ticks.
    const before = {
      processes: new Map([proc(10, 1, 'node', 0), proc(11, 10, 'java', 0)]),
      machine: { busy: 0, total: 0 },
      at: 0,
    };
    const after = {
      processes: new Map([proc(10, 1, 'node', 100), proc(11, 10, 'java', 50)]),
      machine: { busy: 300, total: 400 },
      at: 2_000,
    };

    // Act
    const shares = sharesBetween(before, after, (_pid, comm) => comm, {
      root: 10,
      cores: 2,
      ticksPerSecond: 100,
    });

    // Assess
    expect(shares).toEqual({ node: 50, java: 25, [OTHER_WORK]: 150 - 75 });
  });
});

describe('formatCpu', () => {
  it('lists roles of at least half a percent, largest first', () => {
    expect(formatCpu({ a: 10.4, b: 80, c: 0.2 })).toBe('b 80 %, a 10 %');
  });
});
