/**
 * The one error of a setting that is missing or malformed, wherever it is read: CDK context, a
 * function's environment, a command-line flag. Its message names the setting and what to give; the
 * CLIs print it as one line, and a function reports it as errorType ConfigError.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
  }
}

/** The bounds a numeric setting must keep. */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly integer: boolean;
  /** The minimum itself is refused (a rate must be above 0). @default false */
  readonly minExclusive?: boolean;
}

/**
 * A numeric setting from its text (or a JSON number from cdk.json), or a ConfigError naming it
 * (`label`: `context rate`, `RATE_PER_SECOND`, `--rate`) and its range.
 */
export function boundedNumber(label: string, raw: unknown, range: NumberRange): number {
  const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
  const valid = range.integer ? Number.isInteger(value) : Number.isFinite(value);
  const aboveMin = range.minExclusive ? value > range.min : value >= range.min;
  if (String(raw).trim() === '' || !valid || !aboveMin || value > range.max) {
    const kind = range.integer ? 'an integer' : 'a number';
    const from = range.minExclusive ? `above ${range.min}` : `from ${range.min}`;
    throw new ConfigError(`${label} must be ${kind} ${from} to ${range.max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
