import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import type { LimitBreachChange } from '../../lambda/aggregator/limit-breach.js';

/** What the status line shows; counters are totals since the start. */
export interface StatusSnapshot {
  readonly elapsedMs: number;
  readonly produced: number;
  readonly applied: number;
  readonly rejected: number;
  readonly batches: number;
  readonly retries: number;
  readonly lag: number | undefined;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/**
 * The batch's aggregates as a small table, like the tutorial's `show(n=5)`: the first rows, and how
 * many more there were.
 */
export function formatBatchTable(
  partition: number,
  fromOffset: number,
  toOffset: number,
  report: BatchSummary,
  maxRows = 5,
): string {
  const head =
    `batch ${report.batchId ?? '-'} · partition ${partition} offsets ${fromOffset}..${toOffset} · ` +
    `${report.applied} applied, ${report.rejected} rejected, ${report.skipped} already applied`;
  if (report.positions.length === 0) return head;
  const rows = report.positions.slice(0, maxRows).map((d) => [d.branch, d.currency, d.sum, String(d.count)]);
  const header = ['branch_name', 'currency_code', 'batch_value', 'tx_count'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const format = (cells: readonly string[]) =>
    `|${cells.map((c, i) => ` ${pad(c, widths[i] ?? 0, i >= 2)} `).join('|')}|`;
  const more =
    report.positions.length > maxRows
      ? `\nonly showing top ${maxRows} rows of ${report.positions.length}`
      : '';
  return [head, line, format(header), line, ...rows.map(format), line].join('\n') + more;
}

function rate(count: number, elapsedMs: number): string {
  return elapsedMs > 0 ? ((count * 1000) / elapsedMs).toFixed(1) : '0.0';
}

export function formatStatus(now: StatusSnapshot, previous: StatusSnapshot | undefined): string {
  const window = previous ? now.elapsedMs - previous.elapsedMs : now.elapsedMs;
  const produced = now.produced - (previous?.produced ?? 0);
  const applied = now.applied + now.rejected - (previous ? previous.applied + previous.rejected : 0);
  return (
    `[${(now.elapsedMs / 1000).toFixed(0)}s] produced ${rate(produced, window)}/s · applied ${rate(applied, window)}/s · ` +
    `lag ${now.lag ?? '?'} · batches ${now.batches} · rejects ${now.rejected} · retries ${now.retries} · ` +
    `total produced ${now.produced}, applied ${now.applied}`
  );
}

/** A breach as it happens: one line, marked so that it stands out among the batch tables. */
export function formatLimitBreach(breach: LimitBreachChange, batchId: number | null): string {
  const where = `${breach.branch} ${breach.currency} ${breach.side} position ${breach.position}`;
  const limit = `${breach.side === 'long' ? '' : '-'}${breach.limit}`;
  return breach.change === 'began'
    ? `!! LIMIT BREACH began: ${where} past its limit ${limit} (batch ${batchId ?? '-'})`
    : `-- limit breach cleared: ${where} back within ${limit} (batch ${batchId ?? '-'})`;
}
