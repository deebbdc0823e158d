import type { BatchTiming } from '../../../local/verify/stats/latency.js';

/** A batch row as a consumer writes it: its record count is its histogram's sum. */
export function batch(committedAt: number, firstRecordTime: number, histogram: number[]): BatchTiming {
  return {
    committedAt,
    firstRecordTime,
    histogram,
    recordCount: histogram.reduce((sum, n) => sum + n, 0),
  };
}
