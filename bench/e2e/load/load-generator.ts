/** What the harness asks of the load: runs at a rate, what they sent, the ground truth, its processes. */
import type { Totals } from '../../../local/verify/totals.js';

export interface ProduceResult {
  readonly sent: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Records acknowledged per second of the run. */
  readonly rate: number;
}

export interface LoadGenerator {
  /** What the broker acknowledged so far, per branch|currency: the ground truth of the aggregates. */
  readonly totals: Totals;
  /** Records acknowledged so far. */
  readonly produced: number;
  /** Its processes, for the CPU figures. */
  readonly pids: readonly number[];
  /** Sends `records` at `ratePerSecond` (or flat out) and resolves once every one is acknowledged. */
  produce(records: number, ratePerSecond: number | undefined): Promise<ProduceResult>;
  stop(): Promise<void>;
}
