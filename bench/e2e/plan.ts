/**
 * What the end-to-end section measures and for how long: the topic, the mapping's limits, the
 * targets, and the plan of steps (full and quick). Every other e2e module and the Spark section read
 * these, so each is defined here once. Pure data.
 */
import { DEFAULT_SETTINGS, LOCAL_MAPPING } from '../../contracts/settings.js';

/** The topic and its partitions, as the local runtime and the tutorial have them. */
export const BENCH_TOPIC = DEFAULT_SETTINGS.streaming.topic;
export const BENCH_PARTITIONS = DEFAULT_SETTINGS.streaming.topicPartitions;
/** The batching window: the tutorial's 2 s trigger, the emulator's default. */
export const WINDOW_MS = LOCAL_MAPPING.aggregatorBatchingWindowSeconds * 1000;
/** The MSK mapping's largest batch size, which the local runtime uses by default. */
export const BATCH_SIZE = LOCAL_MAPPING.aggregatorBatchSize;
/** Lambda's synchronous payload limit, which caps an MSK event. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** The consumer group of the benchmark's event poller: its own, so it never shares offsets with a local run. */
export const BENCH_CONSUMER_GROUP = 'treasury-stream-bench';

/** The section's targets: a sustained rate, and a p99 at half of it within a window and 250 ms. */
export const TARGET_RECORDS_PER_SECOND = 50_000;
export const TARGET_P99_AT_HALF_LOAD_MS = WINDOW_MS + 250;
/** Fractions of the sustained rate at which latency is reported. */
export const LOAD_FRACTIONS = [0.1, 0.5, 0.8] as const;

/** How long and how often: the full run stays under about 5 minutes per system, quick about 1. */
export interface BenchPlan {
  readonly producers: number;
  /** Records written before the consumer starts, to measure how fast it drains them. */
  readonly preloadRecords: number;
  /** Each step of the search for the sustained rate. */
  readonly stepMs: number;
  readonly maxSteps: number;
  /** The first step's rate, as a fraction of the lower of the catch-up rate and the producers' rate. */
  readonly firstStepFraction: number;
  /**
   * False: of the producers' rate alone. A short preload's catch-up rate is mostly the consumer's
   * start-up, far below what it sustains, and two quick steps cannot climb from there.
   */
  readonly seedFromCatchUp: boolean;
  /** Each latency measurement at 10, 50 and 80 %. */
  readonly latencyPhaseMs: number;
}

export function benchPlan(quick: boolean): BenchPlan {
  return quick
    ? {
        producers: 1,
        preloadRecords: 100_000,
        stepMs: 8_000,
        maxSteps: 2,
        firstStepFraction: 0.5,
        seedFromCatchUp: false,
        latencyPhaseMs: 5_000,
      }
    : {
        producers: 1,
        preloadRecords: 1_000_000,
        stepMs: 15_000,
        // Seeded from a cold catch-up (Spark's first batch takes the whole preload), the search may
        // start at a third of what a system holds: ten steps of 1/0.85 climb 5×.
        maxSteps: 10,
        // The producers' own rate is measured with the machine to themselves; beside a consumer they
        // reach about two thirds of it.
        firstStepFraction: 0.7,
        seedFromCatchUp: true,
        latencyPhaseMs: 15_000,
      };
}
