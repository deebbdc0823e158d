import { describe, expect, it } from 'vitest';
import { cpuLabeller } from '../../../bench/e2e/measure.js';

describe('cpuLabeller', () => {
  it('names the system’s processes by part, the load generator (a JVM, like the broker), the broker, PostgreSQL and the harness', () => {
    // Prepare
    const system = {
      processIds: () => [30, 31],
      cpuRoleOf: (pid: number) => (pid === 30 ? 'emulator' : 'function'),
    };
    const label = cpuLabeller({ pids: [20, 21] }, system, 10);

    // Act & Assess
    expect([
      label(31, 'node'),
      label(30, 'node'),
      label(20, 'java'),
      label(40, 'java'),
      label(41, 'postgres: writer'),
      label(10, 'node'),
      label(50, 'esbuild'),
    ]).toEqual([
      'function',
      'emulator',
      "load generator (Kafka's Java producer)",
      'Kafka broker',
      'PostgreSQL',
      'bench harness',
      'other bench processes',
    ]);
  });
});
