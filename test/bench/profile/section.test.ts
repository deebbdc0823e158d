import { describe, expect, it } from 'vitest';
import { hotPathResultOf } from '../../../bench/profile/section.js';

describe('hotPathResultOf', () => {
  it('reads the CLI’s JSON line, whatever else the process printed', () => {
    expect(hotPathResultOf('(node:1) Warning: something\n{"records":40000}\n')).toEqual({ records: 40_000 });
  });

  it('fails with the output when there is no result line', () => {
    expect(() => hotPathResultOf('40000 records\n')).toThrow(/printed no result line/);
  });
});
