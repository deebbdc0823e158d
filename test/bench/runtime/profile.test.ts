import { describe, expect, it } from 'vitest';
import type { CpuProfile } from '../../../bench/profile/cpu-profile.js';
import { summarizeRuntimeProfile } from '../../../bench/runtime/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// root → a (bundle, line 3) → b (bundle, line 9); idle and GC beside them.
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
    { id: 2, callFrame: frame('a', 'file:///x/index.mjs', 3), children: [3] },
    { id: 3, callFrame: frame('b', 'file:///x/index.mjs', 9) },
    { id: 4, callFrame: frame('(idle)') },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  samples: [2, 3, 3, 4, 4, 4, 4, 5],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100],
};

describe('summarizeRuntimeProfile', () => {
  it('ranks self time of busy samples by original place and file, idle kept apart', () => {
    // Prepare: the bundle's line 3 maps to decode.ts:10, line 9 to aggregate.ts:20.
    const locate = (_url: string, line: number) =>
      line === 3 ? { file: 'lambda/decode.ts', line: 10 } : { file: 'lambda/aggregate.ts', line: 20 };

    // Act
    const summary = summarizeRuntimeProfile(PROFILE, locate);

    // Assess
    expect(summary.sampledMillis).toBeCloseTo(0.4);
    expect(summary.idleShare).toBeCloseTo(0.5);
    expect(summary.functions).toEqual([
      { name: 'b (lambda/aggregate.ts:20)', share: 0.5 },
      { name: 'a (lambda/decode.ts:10)', share: 0.25 },
      { name: '(garbage collector)', share: 0.25 },
    ]);
    expect(summary.files.map((f) => f.name)).toEqual([
      'lambda/aggregate.ts',
      'lambda/decode.ts',
      '(garbage collector)',
    ]);
  });
});
