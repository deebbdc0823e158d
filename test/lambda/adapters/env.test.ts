import { describe, expect, it } from 'vitest';
import { ConfigError, integerEnv, numberEnv, optionalEnv, requireEnv } from '../../../lambda/adapters/env.js';

describe('requireEnv', () => {
  it('returns the value without the whitespace around it', () => {
    // Act
    const value = requireEnv({ TOPIC: '  transaction \n' }, 'TOPIC', 'the topic to read');

    // Assess
    expect(value).toBe('transaction');
  });

  it.each([
    ['missing', {}],
    ['empty', { TOPIC: '' }],
    ['blank', { TOPIC: '   ' }],
  ])('fails with the name and the hint when the setting is %s', (_, env) => {
    // Act and Assess
    expect(() => requireEnv(env, 'TOPIC', 'the topic to read')).toThrow(
      new ConfigError('TOPIC is not set: the topic to read'),
    );
  });

  it('throws a ConfigError, by name, so that a handler can tell a setting from a failure', () => {
    // Act
    let thrown: unknown;
    try {
      requireEnv({}, 'TOPIC', 'hint');
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).name).toBe('ConfigError');
  });
});

describe('optionalEnv', () => {
  it('treats blank as not set', () => {
    // Act and Assess
    expect(optionalEnv({ A: ' ' }, 'A')).toBeUndefined();
    expect(optionalEnv({}, 'A')).toBeUndefined();
    expect(optionalEnv({ A: ' x ' }, 'A')).toBe('x');
  });
});

describe('integerEnv', () => {
  it('takes the fallback when the setting is not set, without checking it against the range', () => {
    // Act and Assess
    expect(integerEnv({}, 'POOL', 4, 1, 100)).toBe(4);
    expect(integerEnv({ POOL: '' }, 'POOL', 4, 1, 100)).toBe(4);
  });

  it('accepts the bounds themselves', () => {
    // Act and Assess
    expect(integerEnv({ POOL: '1' }, 'POOL', 4, 1, 100)).toBe(1);
    expect(integerEnv({ POOL: ' 100 ' }, 'POOL', 4, 1, 100)).toBe(100);
  });

  it.each(['0', '101', '2.5', 'four', 'NaN', 'Infinity'])(
    'fails with the name, the range and the value for "%s"',
    (raw) => {
      // Act and Assess
      expect(() => integerEnv({ POOL: raw }, 'POOL', 4, 1, 100)).toThrow(
        new ConfigError(`POOL must be an integer from 1 to 100, got "${raw}"`),
      );
    },
  );
});

describe('numberEnv', () => {
  it('accepts fractions within the range', () => {
    // Act and Assess
    expect(numberEnv({ RATE: '0.5' }, 'RATE', 100, 0.1, 1_000)).toBe(0.5);
    expect(numberEnv({}, 'RATE', 100, 0.1, 1_000)).toBe(100);
  });

  it.each(['0.05', '1000.5', 'fast', 'Infinity'])('fails for "%s" and says a number is wanted', (raw) => {
    // Act and Assess
    expect(() => numberEnv({ RATE: raw }, 'RATE', 100, 0.1, 1_000)).toThrow(
      new ConfigError(`RATE must be a number from 0.1 to 1000, got "${raw}"`),
    );
  });
});
