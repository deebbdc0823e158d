import { expect, it } from 'vitest';

it('fails on purpose: the CI gate must turn red on it', () => {
  expect(1 + 1).toBe(3);
});
