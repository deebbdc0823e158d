import { describe, expect, it } from 'vitest';
import { LatencySample, latencySample } from '../../../local/stats/latency.js';
import { batch } from './batch-timing.js';

describe('LatencySample', () => {
  it('gives nearest-rank percentiles over weighted values', () => {
    // Prepare
    const sample = new LatencySample();
    sample.add(100, 98);
    sample.add(2_000, 1);
    sample.add(3_000, 1);

    // Act & Assess
    expect(sample.count).toBe(100);
    expect(sample.percentile(0.5)).toBe(100);
    expect(sample.percentile(0.98)).toBe(100);
    expect(sample.percentile(0.99)).toBe(2_000);
    expect(sample.percentile(1)).toBe(3_000);
  });

  it('has no percentile when empty', () => {
    expect(new LatencySample().percentile(0.5)).toBeUndefined();
  });
});

describe('latencySample', () => {
  it('dates each bucket from first_record_time + bucket × 5 ms and keeps only records produced in range', () => {
    // Prepare: buckets start at 1000, 1005, 1010 and 1015 ms; committed at 3000
    const batches = [batch(3_000, 1_000, [2, 0, 1, 3])];

    // Act
    const all = latencySample(batches, { from: 0, to: 10_000 });
    const late = latencySample(batches, { from: 1_010, to: 10_000 });

    // Assess
    expect(all.count).toBe(6);
    expect(all.percentile(0.01)).toBe(1_985);
    expect(all.percentile(1)).toBe(2_000);
    expect(late.count).toBe(4);
    expect(late.percentile(1)).toBe(1_990);
  });
});
