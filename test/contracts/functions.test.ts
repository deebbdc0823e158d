import { describe, expect, it } from 'vitest';
import { producerFunction } from '../../contracts/functions.js';

describe('producerFunction amounts', () => {
  it("sets AMOUNT_DISTRIBUTION only when asked, so that the generator's default holds otherwise", () => {
    // Act
    const heavy = producerFunction({ ratePerSecond: 1, durationSeconds: 1, amounts: 'heavy-tail' });
    const plain = producerFunction({ ratePerSecond: 1, durationSeconds: 1 });

    // Assess
    expect(heavy.environment.AMOUNT_DISTRIBUTION).toBe('heavy-tail');
    expect(plain.environment).not.toHaveProperty('AMOUNT_DISTRIBUTION');
  });
});
