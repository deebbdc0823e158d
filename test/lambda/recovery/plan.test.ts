import { describe, expect, it } from 'vitest';
import { planPartition } from '../../../lambda/recovery/plan.js';

const at = (position: Partial<Parameters<typeof planPartition>[0]>) =>
  planPartition({ partition: 0, checkpoint: 100, logStart: 0, logEnd: 500, committed: 400, ...position });

describe('what the recovery does with a partition', () => {
  it('applies from the checkpoint up to where the mapping resumes (its committed offset)', () => {
    expect(at({})).toEqual({ action: 'apply', from: 100, to: 400 });
  });

  it('goes to the end of the topic for a group that has committed nothing', () => {
    expect(at({ committed: undefined })).toEqual({ action: 'apply', from: 100, to: 500 });
  });

  it('starts at the log start for a partition without a checkpoint', () => {
    expect(at({ checkpoint: undefined, logStart: 20 })).toEqual({ action: 'apply', from: 20, to: 400 });
  });

  it('leaves a partition whose checkpoint is at or past the mapping to the mapping', () => {
    expect(at({ checkpoint: 400 })).toEqual({ action: 'up-to-date', from: 400, to: 400 });
    expect(at({ checkpoint: 450 })).toEqual({ action: 'up-to-date', from: 450, to: 400 });
  });

  it('names the offsets below the log start as missing, with retention as the reason', () => {
    const plan = at({ logStart: 150 });

    expect(plan).toMatchObject({ action: 'missing', missing: { fromOffset: 100, toOffset: 149 }, to: 400 });
    expect(plan.action === 'missing' && plan.missing.reason).toMatch(/^retention: .* starts at offset 150/);
  });

  it('takes the log start as the target when the committed offset was trimmed too', () => {
    expect(at({ committed: 100, logStart: 150 })).toMatchObject({
      action: 'missing',
      missing: { fromOffset: 100, toOffset: 149 },
      to: 150,
    });
  });
});
