/**
 * What the financial result costs end to end (issue 20): our pipeline measured with the result on (the
 * aggregator) and, in the same run on services of its own, with it off (result-off-handler.ts), set
 * side by side: the table, the target check and how coarse the figure is. Pure.
 */
import { markdownTable } from '../report/markdown.js';
import type { TargetCheck } from '../report/section.js';
import { atMost, formatNumber } from '../report/stats.js';
import { FUNCTION_PROCESSES } from './aggregator-system.js';
import { consumerShare, sustainedPhase } from './cpu-by-part.js';
import { formatMs, type SystemMeasurement } from './harness.js';
import { lowestFailedAbove } from './report-parts.js';
import { BRACKET_RATIO, cpuMsPerThousand } from './steady-state.js';

/** Issue 20's target: the result costs at most this share of the end-to-end sustained rate. */
export const TARGET_RESULT_COST_SHARE = 0.1;

/** 1 − on/off: the share of the sustained rate the result costs (below 0 when off did worse). */
export function resultCostShare(on: number | undefined, off: number | undefined): number | undefined {
  if (on === undefined || off === undefined || off <= 0) return undefined;
  return 1 - on / off;
}

/**
 * The cost the two searches' brackets allow: each rate lies between its highest held step and the
 * lowest failed one above it, so the cost between 1 − onFailed/offHeld and 1 − onHeld/offFailed.
 * Undefined when a search did not bracket its rate (none held, or every step held).
 */
export function resultCostBracket(
  on: SystemMeasurement,
  off: SystemMeasurement,
): { readonly low: number; readonly high: number } | undefined {
  const onFailed = lowestFailedAbove(on)?.offeredRate;
  const offFailed = lowestFailedAbove(off)?.offeredRate;
  if (on.sustainedRate === undefined || off.sustainedRate === undefined) return undefined;
  if (onFailed === undefined || offFailed === undefined) return undefined;
  return { low: 1 - onFailed / off.sustainedRate, high: 1 - on.sustainedRate / offFailed };
}

/** A share as the report shows it: −2.5 %, 3.0 %. */
export function formatShare(share: number | undefined): string {
  if (share === undefined) return '–';
  return `${share < 0 ? '−' : ''}${formatNumber(Math.abs(share) * 100, 1)} %`;
}

/** on ÷ off − 1, signed: how much more (+) or less (−) the figure is with the result on. */
function onVersusOff(on: number | undefined, off: number | undefined): string {
  if (on === undefined || off === undefined || off <= 0) return '–';
  const change = on / off - 1;
  return change > 0 ? `+${formatShare(change)}` : formatShare(change);
}

export function resultCostCheck(on: SystemMeasurement, off: SystemMeasurement): TargetCheck {
  const share = resultCostShare(on.sustainedRate, off.sustainedRate);
  return {
    what: "End to end: the financial result's cost, 1 − on/off of the sustained rate",
    // Not measured counts as not met.
    value: share ?? Number.POSITIVE_INFINITY,
    shown:
      share === undefined
        ? 'not measured'
        : `${formatShare(share)} (${formatNumber(on.sustainedRate ?? 0)} / ${formatNumber(off.sustainedRate ?? 0)} records/s)`,
    target: atMost(TARGET_RESULT_COST_SHARE),
    targetShown: `≤ ${formatNumber(TARGET_RESULT_COST_SHARE * 100)} % of the sustained rate`,
  };
}

/**
 * What a part spent per 1,000 records delivered at the sustained step; without a part, the consumer,
 * all its parts.
 */
export function msPerThousandAtSustained(m: SystemMeasurement, part?: string): number | undefined {
  const phase = sustainedPhase(m);
  if (phase === undefined) return undefined;
  const share = part === undefined ? consumerShare(m, phase.cpu) : phase.cpu[part];
  return cpuMsPerThousand(share, phase.deliveredRate);
}

function bracketCell(m: SystemMeasurement): string {
  if (m.sustainedRate === undefined) return 'none held';
  const failed = lowestFailedAbove(m)?.offeredRate;
  return `${formatNumber(m.sustainedRate)} – ${failed === undefined ? 'none failed' : formatNumber(failed)}`;
}

/** Result on against result off: the sustained rate, its bracket, and CPU per 1,000 records at it. */
export function resultCostTable(on: SystemMeasurement, off: SystemMeasurement): string {
  const ms = (value: number | undefined) => (value === undefined ? '–' : formatNumber(value, 2));
  const cpuRow = (label: string, part?: string) => {
    const a = msPerThousandAtSustained(on, part);
    const b = msPerThousandAtSustained(off, part);
    return [label, ms(a), ms(b), onVersusOff(a, b)];
  };
  return markdownTable(
    ['', 'result on', 'result off', 'on vs off'],
    [
      [
        'highest sustained rate, records/s',
        formatMs(on.sustainedRate),
        formatMs(off.sustainedRate),
        onVersusOff(on.sustainedRate, off.sustainedRate),
      ],
      ['the search: highest held – lowest failed above it, records/s', bracketCell(on), bracketCell(off), ''],
      cpuRow('consumer CPU per 1,000 records at the sustained step, ms'),
      cpuRow('PostgreSQL, ms per 1,000 records', 'PostgreSQL'),
      cpuRow(`${FUNCTION_PROCESSES}, ms per 1,000 records`, FUNCTION_PROCESSES),
    ],
    ['left', 'right', 'right', 'right'],
  );
}

/** How the result off is made and measured, and how coarse the cost is, as sentences. */
export function resultCostNote(on: SystemMeasurement, off: SystemMeasurement): string {
  const bracket = resultCostBracket(on, off);
  // As measureResultOff starts it: where the result on settled, or as the plan seeds a search.
  const start =
    on.sustainedRate === undefined
      ? 'its search seeded as the plan seeds one (the result on held no step)'
      : "its search started at the result on's sustained rate";
  const allowed =
    bracket === undefined
      ? 'A search that did not bracket its rate (none held, or every step held) leaves the cost unbounded on that side.'
      : `Between the brackets the cost lies anywhere from ${formatShare(bracket.low)} to ${formatShare(bracket.high)}.`;
  return (
    "With the result off, the aggregator's bundle is the same handler with each batch's deal arrays left empty before apply_batch (bench/e2e/result-off-handler.ts), " +
    "as the write path's baseline leaves them: PostgreSQL folds nothing and the deals are not sent; the handler still collects each deal per cell, as it does either way. " +
    `It runs after the result on, on a broker and a database of its own, with the same preload and steps but no latency phases, ${start} (${formatNumber(off.totalRecords)} records in ${(off.elapsedMs / 1000).toFixed(0)} s). ` +
    `The figure is coarse: each search stops once its highest held and lowest failed rates are within ${formatNumber((BRACKET_RATIO - 1) * 100)} %, ` +
    `and the two runs, one after the other, each have their own noise. ${allowed} ` +
    "CPU is per 1,000 records delivered at each one's own sustained step."
  );
}
