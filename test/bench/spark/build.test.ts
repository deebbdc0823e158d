import { describe, expect, it } from 'vitest';
import { javaVersionOf } from '../../../bench/spark/build.js';

describe('javaVersionOf', () => {
  it('reads the version from `java -version`', () => {
    expect(javaVersionOf('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(
      'Java 17.0.15',
    );
    expect(javaVersionOf('something else')).toBe('Java (version unknown)');
  });
});
