/**
 * Reading settings from the environment, once, at module load. A missing or malformed setting fails
 * with its own name, never as an empty string that breaks something later.
 */

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function requireEnv(env: Env, name: string, hint: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set: ${hint}`);
  return value;
}

export function optionalEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function boundedNumberEnv(
  env: Env,
  name: string,
  fallback: number,
  range: { readonly min: number; readonly max: number; readonly integer: boolean },
): number {
  const raw = optionalEnv(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const valid = range.integer ? Number.isInteger(value) : Number.isFinite(value);
  if (!valid || value < range.min || value > range.max) {
    const kind = range.integer ? 'an integer' : 'a number';
    throw new ConfigError(`${name} must be ${kind} from ${range.min} to ${range.max}, got "${raw}"`);
  }
  return value;
}

export function integerEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  return boundedNumberEnv(env, name, fallback, { min, max, integer: true });
}

export function numberEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  return boundedNumberEnv(env, name, fallback, { min, max, integer: false });
}
