import { boundedNumber, type NumberRange } from '../../contracts/config-error.js';

/** A numeric command-line flag within `range`, its default when absent, a ConfigError naming it otherwise. */
export function rangedFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  range: NumberRange,
): number {
  return raw === undefined ? fallback : boundedNumber(`--${name}`, raw, range);
}

/** A numeric command-line flag from `min` to `max`, fractions allowed. */
export function numberFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  return rangedFlag(name, raw, fallback, { min, max, integer: false });
}
