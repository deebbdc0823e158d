import type { Admin } from 'kafkajs';
import type { EsmEmulator } from '../esm/emulator.js';

/** Where the run stands on the topic: records in it and how far the mapping's group is behind. */
export interface TopicPosition {
  /** The sum of the partitions' end offsets. */
  readonly inTopic: number;
  readonly lag: number;
  readonly perPartition: { partition: number; lag: number }[];
}

/** Records in the topic (the sum of the partitions' end offsets) and the group's lag behind them. */
export async function positionOf(topic: string, admin: Admin, emulator: EsmEmulator): Promise<TopicPosition> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    emulator.committedOffsets(admin),
  ]);
  let inTopic = 0;
  const perPartition = ends.map((end) => {
    const next = committed.get(end.partition) ?? -1;
    inTopic += Number(end.high);
    return { partition: end.partition, lag: Number(end.high) - (next >= 0 ? next : Number(end.low)) };
  });
  return { inTopic, lag: perPartition.reduce((sum, p) => sum + p.lag, 0), perPartition };
}

/**
 * A group's first offsets request on a new broker can meet its coordinator still loading
 * (NOT_COORDINATOR, retriable), which kafkajs' admin does not retry: retry it here, for a few seconds.
 */
export async function whileCoordinatorLoads<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || attempt >= 40) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
