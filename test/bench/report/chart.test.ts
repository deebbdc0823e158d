import { describe, expect, it } from 'vitest';
import { type ChartPanel, niceCeiling, panelsOfFigures, renderChart } from '../../../bench/report/chart.js';
import { summarize } from '../../../bench/report/stats.js';

describe('renderChart', () => {
  it('draws a bar, a whisker and a label per figure, and the target line', () => {
    // Prepare
    const panel: ChartPanel = {
      title: 'Records <per> second',
      scale: 1e6,
      unit: 'M/s',
      bars: [
        { label: 'naive', summary: summarize([1.2e6, 1.3e6, 1.4e6]) },
        { label: 'handler', summary: summarize([2e6, 2.1e6, 2.2e6]) },
      ],
      target: { value: 3e6, label: 'target 3 M/s' },
    };

    // Act
    const svg = renderChart([panel], 'Benchmarks');

    // Assess
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Records &lt;per&gt; second');
    expect(svg.match(/<rect x=/g)).toHaveLength(2);
    expect(svg).toContain('>target 3 M/s</text>');
    expect(svg).toContain('>2.10</text>');
  });

  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    // Act and assess
    expect(niceCeiling(3.2)).toBe(5);
    expect(niceCeiling(0.7)).toBe(1);
    expect(niceCeiling(1_500)).toBe(2_000);
    expect(niceCeiling(0)).toBe(1);
  });
});

describe('panelsOfFigures', () => {
  it("charts another section's rates and latencies and leaves its other figures to the summary", () => {
    // Act
    const panels = panelsOfFigures('3. End to end', {
      'e2e.sustainedRecordsPerSecond': 52_000,
      'e2e.load50.recordsPerSecond': 26_000,
      'e2e.load50.p99Ms': 2_100,
      'e2e.load80.p99Ms': 'none',
      'spark.throughputRatio': 3.4,
      'e2e.exact': 'yes',
    });

    // Assess
    expect(panels.map((panel) => [panel.unit, panel.bars.map((bar) => bar.label)])).toEqual([
      ['k/s', ['e2e.sustainedRecordsPerSecond', 'e2e.load50.recordsPerSecond']],
      ['ms', ['e2e.load50.p99Ms']],
    ]);
    expect(panelsOfFigures('4. Spark', { 'spark.ran': 'no', 'spark.error': 'no java' })).toEqual([]);
  });
});
