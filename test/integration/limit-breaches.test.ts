import { describe, expect, it } from 'vitest';
import { AGGREGATOR_METRIC } from '../../contracts/telemetry/metrics.js';
import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import { TransactionGenerator } from '../../lambda/domain/generator.js';
import { emfValue } from '../../local/lambda-runtime/function-output.js';
import { useAggregatorOnTestDatabase } from './support/aggregator.js';
import {
  type AppliedBatch,
  expectedBreaches,
  type LimitSetting,
  readBreaches,
  setLimits,
} from './support/breach-oracle.js';
import { HANDLER_TOPIC, handlerEvent, resetHandlerTables } from './support/handler-events.js';
import { dealRecords } from './support/records.js';

const fixture = useAggregatorOnTestDatabase({ concurrency: 3 });
const reset = () => resetHandlerTables(fixture.database.pool);

type Deal = { branch: string; currency: string; amount: number };

/** Applies batches of one partition in order, each as one event; returns each batch's summary. */
async function applyInOrder(partition: number, batches: readonly Deal[][]): Promise<BatchSummary[]> {
  const summaries: BatchSummary[] = [];
  let offset = 0;
  for (const deals of batches) {
    summaries.push(
      await fixture.aggregator.handler(handlerEvent(dealRecords(HANDLER_TOPIC, partition, offset, deals))),
    );
    offset += deals.length;
  }
  return summaries;
}

function applied(summaries: readonly BatchSummary[], batches: readonly Deal[][]): AppliedBatch[] {
  return summaries.map((summary, i) => {
    if (summary.batchId === null) throw new Error(`batch ${i} applied nothing`);
    return { batchId: summary.batchId, deals: batches[i] ?? [] };
  });
}

// USD: every branch long 1,000.00 and short 500.00, Kazan's own long 200.00 (and no short limit).
const LIMITS: readonly LimitSetting[] = [
  { branch: null, currency: 'USD', long: '1000.00', short: '500.00' },
  { branch: 'Kazan', currency: 'USD', long: '200.00', short: null },
];

describe('limit breaches recorded by apply_batch, under the runtime', () => {
  it('opens a breach when a position passes a limit and clears it when it comes back, on all branches and on one', async () => {
    // Prepare
    await reset();
    await setLimits(fixture.database.pool, LIMITS);
    const batches: Deal[][] = [
      // Kazan past its own 200 (the all-branches 1,000 does not hold for it); SPB within; EUR has no limit.
      [
        { branch: 'Kazan', currency: 'USD', amount: 300 },
        { branch: 'SPB', currency: 'USD', amount: 300 },
        { branch: 'SPB', currency: 'EUR', amount: 5_000 },
      ],
      // SPB past the all-branches long limit; Kazan back to exactly its limit, which is within it.
      [
        { branch: 'SPB', currency: 'USD', amount: 800.01 },
        { branch: 'Kazan', currency: 'USD', amount: -100 },
      ],
      // SPB from long past the limit to short past it in one batch; Kazan far short, with no short limit.
      [
        { branch: 'SPB', currency: 'USD', amount: -1_700.02 },
        { branch: 'Kazan', currency: 'USD', amount: -10_000 },
      ],
      // SPB still short past the limit: the open breach stays one row.
      [{ branch: 'SPB', currency: 'USD', amount: 0.01 }],
    ];

    // Act
    const summaries = await applyInOrder(0, batches);

    // Assess
    const [b1, b2, b3, b4] = summaries.map((s) => s.batchId);
    expect(summaries.map((s) => s.limitBreaches)).toEqual([
      [
        {
          change: 'began',
          branch: 'Kazan',
          currency: 'USD',
          side: 'long',
          limit: '200.00',
          position: '300.00',
        },
      ],
      [
        {
          change: 'cleared',
          branch: 'Kazan',
          currency: 'USD',
          side: 'long',
          limit: '200.00',
          position: '200.00',
        },
        {
          change: 'began',
          branch: 'SPB',
          currency: 'USD',
          side: 'long',
          limit: '1000.00',
          position: '1100.01',
        },
      ],
      [
        {
          change: 'cleared',
          branch: 'SPB',
          currency: 'USD',
          side: 'long',
          limit: '1000.00',
          position: '-600.01',
        },
        {
          change: 'began',
          branch: 'SPB',
          currency: 'USD',
          side: 'short',
          limit: '500.00',
          position: '-600.01',
        },
      ],
      [],
    ]);
    expect(summaries.map((s) => s.openBreaches)).toEqual([1, 1, 1, 1]);
    const rows = await readBreaches(fixture.database.pool);
    expect(rows).toEqual([
      {
        branch: 'Kazan',
        currency: 'USD',
        side: 'long',
        limit: '200.00',
        position: '300.00',
        beganBatch: b1,
        clearedBatch: b2,
        clearedPosition: '200.00',
      },
      {
        branch: 'SPB',
        currency: 'USD',
        side: 'long',
        limit: '1000.00',
        position: '1100.01',
        beganBatch: b2,
        clearedBatch: b3,
        clearedPosition: '-600.01',
      },
      {
        branch: 'SPB',
        currency: 'USD',
        side: 'short',
        limit: '500.00',
        position: '-600.01',
        beganBatch: b3,
        clearedBatch: null,
        clearedPosition: null,
      },
    ]);
    expect(b4).not.toBeNull();
    expect(rows).toEqual(expectedBreaches(applied(summaries, batches), LIMITS));
    // The metric the alarm reads: one breach began in each of the first three batches, none in the fourth.
    const begun = fixture.aggregator.output
      .filter((line) => line.kind === 'metrics')
      .map((line) => emfValue(line.document, AGGREGATOR_METRIC.limitBreachesBegun))
      .slice(-4);
    expect(begun).toEqual([1, 1, 1, 0]);
  });

  it('never records a breach twice when a batch is delivered again, whole or overlapping', async () => {
    // Prepare
    await reset();
    await setLimits(fixture.database.pool, LIMITS);
    const deals: Deal[] = [
      { branch: 'Kazan', currency: 'USD', amount: 250 },
      { branch: 'SPB', currency: 'USD', amount: -600 },
      { branch: 'SPB', currency: 'USD', amount: 700 },
      { branch: 'Kazan', currency: 'USD', amount: -100 },
    ];
    const records = dealRecords(HANDLER_TOPIC, 1, 0, deals);
    const first = await fixture.aggregator.handler(handlerEvent(records.slice(0, 2)));
    const before = await readBreaches(fixture.database.pool);

    // Act
    const again = await fixture.aggregator.handler(handlerEvent(records.slice(0, 2)));
    const overlapping = await fixture.aggregator.handler(handlerEvent(records));
    const overlappingAgain = await fixture.aggregator.handler(handlerEvent(records));

    // Assess
    expect(before).toHaveLength(2);
    expect(again).toMatchObject({ applied: 0, skipped: 2, limitBreaches: [], openBreaches: null });
    expect(overlapping).toMatchObject({ applied: 2, skipped: 2 });
    expect(overlappingAgain).toMatchObject({ applied: 0, skipped: 4, limitBreaches: [] });
    const batches = [
      { batchId: first.batchId ?? 0, deals: deals.slice(0, 2) },
      { batchId: overlapping.batchId ?? 0, deals: deals.slice(2) },
    ];
    expect(await readBreaches(fixture.database.pool)).toEqual(expectedBreaches(batches, LIMITS));
  });

  it('equals an independent computation over the deals when partitions apply heavy-tailed deals concurrently', async () => {
    // Prepare: each branch on one partition, as the producer keys deals by branch; limits on all
    // branches for the foreign currencies and a branch of its own, reached often by heavy-tailed amounts.
    await reset();
    const limits: LimitSetting[] = [
      { branch: null, currency: 'USD', long: '3000.00', short: '3000.00' },
      { branch: null, currency: 'EUR', long: '2500.00', short: '2000.00' },
      { branch: null, currency: 'GBP', long: '2000.00', short: null },
      { branch: 'Novosibirsk', currency: 'USD', long: '1500.00', short: '1500.00' },
    ];
    await setLimits(fixture.database.pool, limits);
    const lanes = [['Kazan'], ['SPB', 'Surgut'], ['Novosibirsk']].map((branches, partition) => {
      const generator = new TransactionGenerator({ branches, amounts: 'heavy-tail', seed: 40 + partition });
      return Array.from({ length: 40 }, () => Array.from({ length: 60 }, () => generator.next()));
    });

    // Act
    const summaries = await Promise.all(lanes.map((batches, partition) => applyInOrder(partition, batches)));

    // Assess
    const oracle = expectedBreaches(
      lanes.flatMap((batches, partition) => applied(summaries[partition] ?? [], batches)),
      limits,
    );
    const rows = await readBreaches(fixture.database.pool);
    expect(oracle.filter((row) => row.clearedBatch !== null).length).toBeGreaterThan(5);
    expect(rows).toEqual(oracle);
  });

  it('keeps one open breach per position and side, without deadlocks, when partitions move the same positions', async () => {
    // Prepare: every partition moves every position, so their batches queue on the same rows.
    await reset();
    const limits: LimitSetting[] = [{ branch: null, currency: 'USD', long: '2000.00', short: '2000.00' }];
    await setLimits(fixture.database.pool, limits);
    const lanes = [0, 1, 2].map((partition) => {
      const generator = new TransactionGenerator({
        currencies: ['USD'],
        amounts: 'heavy-tail',
        seed: 70 + partition,
      });
      return Array.from({ length: 30 }, () => Array.from({ length: 40 }, () => generator.next()));
    });

    // Act
    await Promise.all(lanes.map((batches, partition) => applyInOrder(partition, batches)));

    // Assess: what is open now is exactly the positions past their limit now, and every closed
    // breach began before it cleared (by time: batch ids are drawn before a batch waits for locks).
    const rows = await readBreaches(fixture.database.pool);
    const inverted = await fixture.database.pool.query(
      'SELECT breach_id FROM limit_breach WHERE cleared_at < began_at',
    );
    const beyond = await fixture.database.pool.query<{ key: string }>(
      `SELECT branch_name || '|' || side AS key FROM currency_position,
              LATERAL (VALUES ('long', net_amount > 2000), ('short', net_amount < -2000)) s(side, past)
       WHERE past ORDER BY 1`,
    );
    const open = rows.filter((row) => row.clearedBatch === null).map((row) => `${row.branch}|${row.side}`);
    expect(rows.length).toBeGreaterThan(4);
    expect(open.sort()).toEqual(beyond.rows.map((row) => row.key));
    expect(inverted.rows).toEqual([]);
  });
});
