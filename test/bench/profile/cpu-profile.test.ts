import { describe, expect, it } from 'vitest';
import { type CpuProfile, summarizeProfile } from '../../../bench/profile/cpu-profile.js';

const ROOT = '/repo/';

function frame(functionName: string, url = '') {
  return { functionName, url, lineNumber: 0 };
}

// root → setup; root → handlerPath → scan, decode; root → (garbage collector), (idle), (program)
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 6, 7, 8] },
    { id: 2, callFrame: frame('setup', 'file:///repo/bench/handler.ts') },
    { id: 3, callFrame: frame('handlerPath', 'file:///repo/bench/handler.ts'), children: [4, 5] },
    { id: 4, callFrame: frame('scan', 'file:///repo/lambda/domain/fast-decode.ts') },
    { id: 5, callFrame: frame('base64Write') },
    { id: 6, callFrame: frame('(garbage collector)') },
    { id: 7, callFrame: frame('(idle)') },
    { id: 8, callFrame: frame('(program)') },
  ],
  samples: [2, 3, 4, 4, 4, 5, 6, 7, 8, 4],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 5_000, 100, 100],
};

describe('summarizeProfile', () => {
  it('ranks self time by function and by file, leaving idle and program time out', () => {
    // Act
    const summary = summarizeProfile(PROFILE, ROOT);

    // Assess
    expect(summary.sampledMillis).toBe(0.8);
    expect(summary.functions).toEqual([
      { name: 'scan (lambda/domain/fast-decode.ts)', share: 0.5 },
      { name: 'setup (bench/handler.ts)', share: 0.125 },
      { name: 'handlerPath (bench/handler.ts)', share: 0.125 },
      { name: 'base64Write (native)', share: 0.125 },
      { name: '(garbage collector)', share: 0.125 },
    ]);
    expect(summary.files[0]).toEqual({ name: 'lambda/domain/fast-decode.ts', share: 0.5 });
    expect(summary.files[1]).toEqual({ name: 'bench/handler.ts', share: 0.25 });
  });

  it('keeps only samples inside a function, and the garbage collector, when asked', () => {
    // Act
    const summary = summarizeProfile(PROFILE, ROOT, { within: 'handlerPath', top: 2 });

    // Assess
    expect(summary.sampledMillis).toBe(0.7);
    expect(summary.functions).toEqual([
      { name: 'scan (lambda/domain/fast-decode.ts)', share: 4 / 7 },
      { name: 'handlerPath (bench/handler.ts)', share: 1 / 7 },
    ]);
  });
});
