import { describe, expect, it } from 'vitest';
import { cpuMillisBetween, parseChildren, parseProcStat } from '../../bench/proc-stat.js';

// A real line of /proc/<pid>/stat (a node process), fields 1–24 of 52.
const NODE_LINE =
  '4242 (node) S 4200 4242 4200 0 -1 4194560 25817 0 0 0 1234 56 0 0 20 0 11 0 98765 1265434624 30000';

describe('parseProcStat', () => {
  it('reads pid, comm, ppid, utime and stime', () => {
    // Act
    const stat = parseProcStat(NODE_LINE);

    // Assess
    expect(stat).toEqual({ pid: 4242, comm: 'node', ppid: 4200, utime: 1234, stime: 56 });
  });

  it('counts the fields from the last parenthesis, so a comm with spaces and ")" does not shift them', () => {
    // Prepare
    const line = NODE_LINE.replace('(node)', '(we ird) (x)');

    // Act
    const stat = parseProcStat(line);

    // Assess
    expect(stat.comm).toBe('we ird) (x');
    expect(stat.utime).toBe(1234);
    expect(stat.stime).toBe(56);
  });

  it('refuses a line without the comm in parentheses', () => {
    expect(() => parseProcStat('4242 node S 1 2 3')).toThrow(/not a \/proc/);
  });

  it('refuses a line cut short before stime', () => {
    expect(() => parseProcStat('4242 (node) S 4200 4242 4200 0 -1 4194560 25817 0 0 0 1234')).toThrow(
      /field 15/,
    );
  });
});

describe('parseChildren', () => {
  it('merges the children files of every thread, each pid once, in order', () => {
    // Act
    const pids = parseChildren(['31 7 ', '', '7 12\n']);

    // Assess
    expect(pids).toEqual([7, 12, 31]);
  });
});

describe('cpuMillisBetween', () => {
  it('turns the growth of utime + stime into milliseconds', () => {
    // Prepare
    const before = parseProcStat(NODE_LINE);
    const after = { ...before, utime: before.utime + 3, stime: before.stime + 2 };

    // Act
    const millis = cpuMillisBetween(before, after, 100);

    // Assess
    expect(millis).toBe(50);
  });

  it('refuses readings of two different processes', () => {
    // Prepare
    const before = parseProcStat(NODE_LINE);

    // Act, Assess
    expect(() => cpuMillisBetween(before, { ...before, pid: 1 }, 100)).toThrow(/two processes/);
  });
});
