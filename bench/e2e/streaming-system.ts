/** What the harness measures: a streaming consumer of the topic that writes a row per batch. */
import type pg from 'pg';
import type { Totals } from '../../local/verify/totals.js';

/** A streaming consumer the harness measures: ours (aggregator-system.ts), or the Spark peer. */
export interface StreamingSystem {
  readonly name: string;
  /** What its processes are called together in the CPU figures. */
  readonly cpuRole: string;
  /** The roles its processes are reported under, apart (cpuRoleOf): together, its consumer's CPU. */
  readonly cpuParts: readonly string[];
  /** The role of one of its processes (processIds), one of cpuParts. */
  cpuRoleOf(pid: number, comm: string): string;
  /** The table where it writes a row per batch: committed_at, record_count, first_record_time, … */
  /** The schema of its applied_batch table (the same timing columns for every system). */
  readonly batchSchema: string;
  /** Starts reading the topic from its beginning; resolves to the moment it began (epoch ms). */
  start(): Promise<number>;
  stop(): Promise<void>;
  /** Its processes, whose CPU is reported as its own. */
  processIds(): readonly number[];
  /** Differences between what it wrote and the producers' ground truth; empty when exact. */
  verify(db: pg.Client, truth: Totals): Promise<string[]>;
  /** Why it can no longer work (its process died), or undefined. */
  failure(): string | undefined;
}
