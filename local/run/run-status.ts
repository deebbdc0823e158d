/** What a run has done so far, as the console's status line and the final summary show it. */
import { TOPIC } from '../infra/services.js';
import { positionOf, whileCoordinatorLoads } from '../verify/mapping-lag.js';
import { formatStatus, type StatusSnapshot } from './console-view.js';
import type { RunCounters } from './run-counters.js';
import type { RunMapping } from './run-mapping.js';

const STATUS_EVERY_MS = 2_000;

export interface RunStatus {
  /** When the mapping had started: the run's clock. */
  readonly startedAt: number;
  /** The counters with the topic's and the group's positions, now. */
  snapshot(): Promise<StatusSnapshot>;
  stop(): void;
}

/** Prints a status line every 2 s (unless quiet), produced counted from the topic's growth. */
export async function watchRunStatus(
  mapping: RunMapping,
  counters: RunCounters,
  quiet: boolean,
  print: (line: string) => void,
): Promise<RunStatus> {
  const { admin, emulator } = mapping;
  const startedAt = Date.now();
  const initial = await whileCoordinatorLoads(() => positionOf(TOPIC, admin, emulator));
  const snapshot = async (): Promise<StatusSnapshot> => {
    const position = await positionOf(TOPIC, admin, emulator).catch(() => undefined);
    return {
      elapsedMs: Date.now() - startedAt,
      produced: position ? position.inTopic - initial.inTopic : counters.produced,
      applied: counters.applied,
      rejected: counters.rejected,
      batches: counters.batches,
      retries: emulator.stats.retries,
      lag: position?.lag,
    };
  };
  let previous: StatusSnapshot | undefined;
  const timer = setInterval(() => {
    void snapshot().then((now) => {
      if (!quiet) print(formatStatus(now, previous));
      previous = now;
    });
  }, STATUS_EVERY_MS);
  return { startedAt, snapshot, stop: () => clearInterval(timer) };
}
