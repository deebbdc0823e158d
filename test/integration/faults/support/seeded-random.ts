import { randomInt } from 'node:crypto';

/**
 * The seed of a fault test's random choices: FAULT_SEED to replay a run, else a new one each run. The
 * tests print it, so that a failure can be replayed exactly.
 */
export function faultSeed(): number {
  const given = process.env.FAULT_SEED;
  return given === undefined ? randomInt(2 ** 31) : Number(given);
}

/** Reproducible choices from a seed: the generator's own PRNG. */
export { seededRandom } from '../../../../lambda/domain/generator.js';

/** A whole number in [min, max]. */
export function between(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
