/**
 * Reading settings from the environment, once, at module load. A missing or malformed setting fails
 * with its own name, never as an empty string that breaks something later.
 */

import { boundedNumber, ConfigError, type NumberRange } from '../../contracts/config-error.js';

export { ConfigError };

export type Env = Readonly<Record<string, string | undefined>>;

export function requireEnv(env: Env, name: string, hint: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set: ${hint}`);
  return value;
}

export function optionalEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A numeric setting within `range`, or `fallback` when unset. */
export function rangedEnv(env: Env, name: string, fallback: number, range: NumberRange): number {
  const raw = optionalEnv(env, name);
  return raw === undefined ? fallback : boundedNumber(name, raw, range);
}

export function integerEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  return rangedEnv(env, name, fallback, { min, max, integer: true });
}

export function numberEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  return rangedEnv(env, name, fallback, { min, max, integer: false });
}
