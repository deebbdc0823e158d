import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type ImportGraph,
  importCycles,
  importsOf,
  layerViolations,
  readImportGraph,
} from './import-graph.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('imports go one way', () => {
  it('no layer imports one it must not, and no file imports itself back', () => {
    // Act
    const graph = readImportGraph(ROOT);

    // Assess
    expect(layerViolations(graph)).toEqual([]);
    expect(importCycles(graph)).toEqual([]);
    // The scan saw the code: the handlers import the contracts and the domain.
    expect(graph.get('lambda/aggregator/handler.ts')).toContain('contracts/telemetry/metrics.ts');
    expect(graph.size).toBeGreaterThan(150);
  });

  it('finds a wrong-way arrow, a contracts import of ours and a cycle in a sample', () => {
    // Prepare: one of each fault, beside arrows the rules allow.
    const graph: ImportGraph = new Map([
      ['lambda/a.ts', ['lib/b.ts', 'contracts/c.ts']],
      ['lib/b.ts', ['contracts/c.ts', 'lambda/a.ts']],
      ['contracts/c.ts', ['contracts/d.ts', 'lambda/e.ts']],
      ['contracts/d.ts', []],
      ['local/f.ts', ['bench/g.ts', 'lambda/e.ts']],
      ['lambda/e.ts', []],
      ['bench/g.ts', ['local/f.ts']],
    ]);

    // Act and assess
    expect(layerViolations(graph)).toEqual([
      'lambda/a.ts -> lib/b.ts',
      'contracts/c.ts -> lambda/e.ts',
      'local/f.ts -> bench/g.ts',
    ]);
    expect(importCycles(graph)).toEqual([
      ['lambda/a.ts', 'lib/b.ts'],
      ['bench/g.ts', 'local/f.ts'],
    ]);
  });

  it('reads static, dynamic and re-exported imports, and leaves packages out', () => {
    // Prepare
    const text = [
      "import { a } from '../../contracts/a.js';",
      "export { b } from './b.js';",
      "const c = await import('../../bench/c.js');",
      "import type { D } from 'aws-lambda';",
    ].join('\n');

    // Act and assess
    expect(importsOf('local/run/x.ts', text)).toEqual(['contracts/a.ts', 'local/run/b.ts', 'bench/c.ts']);
  });
});
