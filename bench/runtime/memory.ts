/**
 * The aggregator's memory size from its measured peak: the rule is stated here once, and the runtime
 * section prints it beside the figure it was applied to. Pure.
 */

/**
 * Peak resident memory is multiplied by this before rounding. The measured events carry 10,000
 * producer records (about 3 MB of JSON); Lambda caps an MSK event at 6 MB (its synchronous payload
 * limit), so the event's own share of the peak (the body, its string, the parsed records) could at
 * most double, and what the process holds apart from the event (V8's heap, the bundle, pg) is
 * counted twice as well: room for growth that no run here has shown.
 */
export const MEMORY_MARGIN = 2;
/** Sizes are rounded up to this step (Lambda takes any MB from 128 to 10,240: a round figure reads better). */
export const MEMORY_STEP_MIB = 64;
export const LAMBDA_MIN_MEMORY_MIB = 128;
export const LAMBDA_MAX_MEMORY_MIB = 10_240;

export interface MemoryChoice {
  readonly peakMiB: number;
  /** The peak times the margin, rounded up to the step, within Lambda's bounds. */
  readonly recommendedMiB: number;
  readonly configuredMiB: number;
  /** Whether the configured size is at least the recommended one. */
  readonly covered: boolean;
}

export function memoryChoice(peakRssKiB: number, configuredMiB: number): MemoryChoice {
  const peakMiB = peakRssKiB / 1024;
  const stepped = Math.ceil((peakMiB * MEMORY_MARGIN) / MEMORY_STEP_MIB) * MEMORY_STEP_MIB;
  const recommendedMiB = Math.min(LAMBDA_MAX_MEMORY_MIB, Math.max(LAMBDA_MIN_MEMORY_MIB, stepped));
  return { peakMiB, recommendedMiB, configuredMiB, covered: configuredMiB >= recommendedMiB };
}
