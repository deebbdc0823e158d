import type pg from 'pg';
import { formatCents } from '../../lambda/domain/money.js';
import type { ProducerSummary } from '../../lambda/producer/handler.js';
import { readBatchTimings } from '../verify/stats/batch-timings.js';
import { type LatencySummary, latencySample, summarizeLatency } from '../verify/stats/latency.js';
import type { TopicContents } from '../verify/topic-truth.js';
import { diffTotals, producedTotals, readFlowTotals, readPositions } from '../verify/totals.js';
import type { Retry } from './consumer-chaos.js';

/** What a soak proved, as it writes it to --result-file (and prints on its `soak result:` line). */
export interface SoakResult {
  readonly exact: boolean;
  /** Seconds of production. */
  readonly seconds: number;
  readonly rate: number;
  /** Deals the producer's invocations reported sent. */
  readonly acknowledged: number;
  readonly topicRecords: number;
  readonly duplicateIds: number;
  readonly batches: number;
  /** Consumer kills by kind: a fault point, or 'external SIGKILL'. */
  readonly kills: Readonly<Record<string, number>>;
  readonly consumerStarts: number;
  readonly outageSeconds: number;
  /** Batch retries from the outage's start until the consumer was through its backoff. */
  readonly outageRetries: number;
  readonly outageMaxAttempt: number;
  readonly retries: number;
  readonly maxLag: number;
  readonly drainSeconds: number;
  /** Produce-to-commit latency (local/verify/stats/latency.ts); undefined when no batch had records. */
  readonly latencyMs: LatencySummary | undefined;
  /** What did not add up; empty when exact. */
  readonly problems: readonly string[];
}

/** What the soak observed while it ran, besides what the database and the topic hold at the end. */
export interface SoakObservations {
  readonly ratePerSecond: number;
  readonly seed: number;
  readonly startedAt: number;
  readonly producedForSeconds: number;
  readonly summaries: readonly ProducerSummary[];
  readonly producerFailures: readonly string[];
  readonly kills: ReadonlyMap<string, number>;
  readonly consumerStarts: number;
  readonly selfExits: readonly string[];
  readonly retries: readonly Retry[];
  readonly outage: { readonly from?: number; readonly to?: number; readonly retries: readonly Retry[] };
  readonly maxLag: number;
  readonly drained: boolean;
  readonly drainTimeoutSeconds: number;
  readonly drainSeconds: number;
  readonly lastConsumer: { readonly code: number | null; readonly output: string };
}

interface DatabaseFacts {
  readonly batches: number;
  readonly records: string;
  readonly rejected: number;
  readonly gaps: number;
  readonly checkpoints: { partition: number; next: number }[] | null;
}

/** The proof: positions and flow sums against the topic read back and what was acknowledged. */
export async function proveSoak(
  db: pg.Client,
  topic: string,
  contents: TopicContents,
  seen: SoakObservations,
): Promise<{ result: SoakResult; summary: string[] }> {
  const positions = await readPositions(db);
  const flows = await readFlowTotals(db);
  const facts = (
    await db.query<DatabaseFacts>(
      `SELECT (SELECT count(*)::int FROM applied_batch) AS batches,
              (SELECT coalesce(sum(record_count), 0)::text FROM applied_batch) AS records,
              (SELECT count(*)::int FROM rejected_transaction) AS rejected,
              (SELECT count(*)::int FROM offset_gap) AS gaps,
              (SELECT json_agg(json_build_object('partition', kafka_partition, 'next', next_offset))
                 FROM partition_checkpoint WHERE topic = $1) AS checkpoints`,
      [topic],
    )
  ).rows[0];
  const latency = summarizeLatency(latencySample(await readBatchTimings(db)));
  const problems = [
    ...diffTotals(contents.truth, positions, 'topic', 'currency_position'),
    ...diffTotals(contents.truth, flows, 'topic', 'transaction_flow'),
  ];
  if (seen.producerFailures.length === 0) {
    problems.push(...diffTotals(producedTotals(seen.summaries), contents.truth, 'acknowledged', 'topic'));
  }
  if (contents.duplicateIds.length > 0)
    problems.push(`${contents.duplicateIds.length} deals twice in the topic`);
  if (contents.notDeals > 0) problems.push(`${contents.notDeals} records in the topic are not deals`);
  if (facts?.gaps) problems.push(`${facts.gaps} offset gaps recorded`);
  if (Number(facts?.records) !== contents.records) {
    problems.push(`applied batches counted ${facts?.records} records, the topic holds ${contents.records}`);
  }
  for (const [partition, end] of contents.ends) {
    const next = facts?.checkpoints?.find((c) => c.partition === partition)?.next ?? 0;
    if (end > 0 && Number(next) !== end)
      problems.push(`partition ${partition}: checkpoint ${next}, end ${end}`);
  }
  if (!seen.drained) problems.push(`not drained within ${seen.drainTimeoutSeconds} s`);
  if (seen.lastConsumer.code !== 0) {
    problems.push(`the last consumer exited with ${seen.lastConsumer.code}:\n${seen.lastConsumer.output}`);
  }

  const { outage } = seen;
  const outageSeconds = outage.from && outage.to ? (outage.to - outage.from) / 1000 : 0;
  const result: SoakResult = {
    exact: problems.length === 0,
    seconds: Math.round(seen.producedForSeconds),
    rate: seen.ratePerSecond,
    acknowledged: seen.summaries.reduce((sum, s) => sum + s.sent, 0),
    topicRecords: contents.records,
    duplicateIds: contents.duplicateIds.length,
    batches: facts?.batches ?? 0,
    kills: Object.fromEntries(seen.kills),
    consumerStarts: seen.consumerStarts,
    outageSeconds,
    outageRetries: outage.retries.length,
    outageMaxAttempt: Math.max(0, ...outage.retries.map((r) => r.attempt)),
    retries: seen.retries.length,
    maxLag: seen.maxLag,
    drainSeconds: seen.drainSeconds,
    latencyMs: latency,
    problems,
  };
  return { result, summary: summaryLines(result, seen, contents, facts) };
}

const count = (n: number) => n.toLocaleString('en-US');

function summaryLines(
  result: SoakResult,
  seen: SoakObservations,
  contents: TopicContents,
  facts: DatabaseFacts | undefined,
): string[] {
  const { outage } = seen;
  const failures = seen.producerFailures.length;
  const kills = [...seen.kills].map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none';
  const sumCents = [...contents.truth.values()].reduce((sum, cell) => sum + cell.sum, 0n);
  const latency = result.latencyMs;
  return [
    '',
    'soak summary',
    `  run              ${seen.producedForSeconds.toFixed(0)} s of production at ${count(result.rate)} msg/s, seed ${seen.seed}`,
    `  produced         ${count(result.acknowledged)} deals acknowledged (${(result.acknowledged / seen.producedForSeconds).toFixed(0)}/s); ` +
      `topic read back: ${count(contents.records)} records, ${result.duplicateIds} duplicate ids` +
      (failures > 0 ? `; ${failures} producer invocations failed` : ''),
    `  applied          ${count(Number(facts?.records ?? 0))} records in ${count(result.batches)} batches; ` +
      `${facts?.rejected ?? 0} rejected; ${facts?.gaps ?? 0} offset gaps`,
    `  consumer kills   ${Object.values(result.kills).reduce((sum, n) => sum + n, 0)} (${kills}); ${result.consumerStarts} consumer starts; ` +
      `${seen.selfExits.length} exited by themselves${seen.selfExits.length ? ` (${seen.selfExits.join('; ')})` : ''}`,
    outage.from && outage.to
      ? `  database outage  ${result.outageSeconds.toFixed(1)} s at ${((outage.from - seen.startedAt) / 1000).toFixed(0)} s; ` +
        `${result.outageRetries} batch retries (max attempt ${result.outageMaxAttempt}, ` +
        `backoff up to ${Math.max(0, ...outage.retries.map((r) => r.delayMs))} ms)`
      : '  database outage  none',
    `  retries in all   ${result.retries}`,
    `  lag              max ${count(result.maxLag)} records; caught up ${result.drainSeconds.toFixed(1)} s after production ended`,
    ...(latency
      ? [
          `  latency          produce to commit p50 ${latency.p50} ms, p99 ${latency.p99} ms, p99.9 ${latency.p999} ms, max ${latency.max} ms`,
        ]
      : []),
    `  exact            ${result.exact ? 'YES' : 'NO'}: currency_position = transaction_flow sums = topic${failures === 0 ? ' = acknowledged' : ''} ` +
      `(${contents.truth.size} branch × currency cells, ${count(contents.records)} deals, net ${formatCents(sumCents)})`,
    ...result.problems.map((problem) => `  MISMATCH ${problem}`),
  ];
}
