import { describe, expect, it } from 'vitest';
import { sharedUntilFailure } from '../../../local/support/shared-until-failure.js';

describe('sharedUntilFailure', () => {
  it('makes one attempt for concurrent and later callers while it succeeds', async () => {
    let attempts = 0;
    const ensure = sharedUntilFailure(async () => ++attempts);

    const results = await Promise.all([ensure(), ensure()]);

    expect(results).toEqual([1, 1]);
    expect(await ensure()).toBe(1);
  });

  it('tries again after a failure instead of answering the old one', async () => {
    let attempts = 0;
    const ensure = sharedUntilFailure(async () => {
      attempts++;
      if (attempts === 1) throw new Error('offline');
      return attempts;
    });

    await expect(ensure()).rejects.toThrow('offline');
    expect(await ensure()).toBe(2);
  });
});
