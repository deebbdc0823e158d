/** The handler's path in a loop, for a CPU profile of it alone (bench/profile/hot-path-cli.ts). */
import {
  type BenchEvent,
  handlerPath,
  producerEvents,
  RECORDS_PER_EVENT,
} from '../handler-throughput/producer-events.js';

/** The name the profile is filtered by: samples inside a call of it are the handler's. */
export const HOT_PATH_FUNCTION = 'handlerPath';

/** The events the loop runs over: made before any profile starts, so their making is not in it. */
export function hotPathEvents(): BenchEvent[] {
  return producerEvents(4);
}

/** Runs the handler's path over the events for `seconds`; returns the records done. */
export function runHotPath(
  seconds: number,
  events: readonly BenchEvent[] = hotPathEvents(),
): { readonly records: number; readonly deltas: number } {
  const start = Date.now();
  let records = 0;
  let deltas = 0;
  while (Date.now() - start < seconds * 1_000) {
    for (const subject of events) {
      deltas += handlerPath(subject.event).deltas.length;
      records += RECORDS_PER_EVENT;
    }
  }
  return { records, deltas };
}
