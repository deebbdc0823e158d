import { describe, expect, it } from 'vitest';
import {
  type BatchTiming,
  LatencySample,
  latencySample,
  summarizeLatency,
} from '../../../../local/verify/stats/latency.js';

describe('LatencySample', () => {
  it('gives no percentile without records', () => {
    // Act and Assess
    expect(new LatencySample().percentile(0.99)).toBeUndefined();
  });

  it('takes the nearest rank: the smallest latency at least the fraction p of records do not exceed', () => {
    // Prepare: 100 records, 1..100 ms.
    const sample = new LatencySample();
    for (let ms = 1; ms <= 100; ms++) sample.add(ms, 1);

    // Act and Assess
    expect(sample.percentile(0.5)).toBe(50);
    expect(sample.percentile(0.99)).toBe(99);
    expect(sample.percentile(0.999)).toBe(100);
    expect(sample.percentile(1)).toBe(100);
    expect(sample.percentile(0)).toBe(1);
  });

  it('weighs each latency by its count and ignores empty counts', () => {
    // Prepare
    const sample = new LatencySample();
    sample.add(10, 98);
    sample.add(500, 2);
    sample.add(9_999, 0);

    // Act and Assess
    expect(sample.count).toBe(100);
    expect(sample.percentile(0.98)).toBe(10);
    expect(sample.percentile(0.99)).toBe(500);
  });
});

describe('latencySample from the batches’ 5 ms histograms', () => {
  const batch: BatchTiming = {
    committedAt: 10_000,
    recordCount: 6,
    firstRecordTime: 8_000,
    histogram: [1, 0, 5],
  };

  it('counts each record from the start of its bucket, so that a figure is never below the truth', () => {
    // Act
    const sample = latencySample([batch]);

    // Assess: bucket 0 produced from 8,000 (2,000 ms), bucket 2 from 8,010 (1,990 ms).
    expect(sample.count).toBe(6);
    expect(sample.percentile(0.5)).toBe(1_990);
    expect(sample.percentile(1)).toBe(2_000);
  });

  it('keeps only the records produced within the window, when one is given', () => {
    // Act
    const sample = latencySample([batch], { from: 8_005, to: 9_000 });

    // Assess
    expect(sample.count).toBe(5);
    expect(sample.percentile(1)).toBe(1_990);
  });
});

describe('summarizeLatency', () => {
  it('reports p50, p99, p99.9 and the maximum, or nothing without records', () => {
    // Prepare
    const sample = new LatencySample();
    for (let ms = 1; ms <= 1_000; ms++) sample.add(ms, 1);

    // Act and Assess
    expect(summarizeLatency(sample)).toEqual({ p50: 500, p99: 990, p999: 999, max: 1_000 });
    expect(summarizeLatency(new LatencySample())).toBeUndefined();
  });
});
