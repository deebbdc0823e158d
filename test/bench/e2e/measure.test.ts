import { describe, expect, it } from 'vitest';
import { cpuLabeller } from '../../../bench/e2e/measure.js';

describe('cpuLabeller', () => {
  it('names the system’s processes, the producers, the broker, PostgreSQL and the harness', () => {
    // Prepare
    const label = cpuLabeller({ pids: [20, 21] }, { cpuRole: 'consumer', processIds: () => [30, 31] }, 10);

    // Act & Assess
    expect([
      label(31, 'node'),
      label(20, 'node'),
      label(40, 'java'),
      label(41, 'postgres: writer'),
      label(10, 'node'),
      label(50, 'esbuild'),
    ]).toEqual([
      'consumer',
      'producers',
      'Kafka broker',
      'PostgreSQL',
      'bench harness',
      'other bench processes',
    ]);
  });
});
