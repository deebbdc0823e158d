/** A numeric command-line flag, its default when absent, and a clear error when out of range. */
export function numberFlag(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
