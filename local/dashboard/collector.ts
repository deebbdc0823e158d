import { statfs } from 'node:fs/promises';
import pg from 'pg';
import { DASHBOARD_ROWS, type SeriesSpec } from '../../contracts/telemetry/dashboard.js';
import { METRICS, type MetricSpec } from '../../contracts/telemetry/metrics.js';
import type { BatchSummary } from '../../lambda/aggregator/batch-summary.js';
import type { InvocationInfo, RetryInfo } from '../esm/event-lines.js';
import type { FunctionOutputLine } from '../lambda-runtime/function-output.js';
import { emfCarries, MetricSamples, metricFilterValue } from './metric-series.js';
import type {
  BatchView,
  DashboardSnapshot,
  PositionResultView,
  RejectView,
  RetryView,
  SeriesView,
  WidgetView,
} from './snapshot.js';

/** How the local run measures each metric that has a local counterpart; the others are AWS only. */
const LOCAL_SOURCE: Partial<Record<string, string>> = {
  produced: 'the producer\'s "deals sent" log line, as the stack\'s metric filter counts it',
  received: "the aggregator's EMF lines",
  applied: "the aggregator's EMF lines",
  rejected: "the aggregator's EMF lines",
  redelivered: "the aggregator's EMF lines",
  batchesFailed: "the aggregator's EMF lines",
  breachesBegun: "the aggregator's EMF lines",
  breachesCleared: "the aggregator's EMF lines",
  breachesOpen: "the aggregator's EMF lines",
  offsetGapRecords: "the aggregator's EMF lines",
  realizedResult: "the aggregator's EMF lines",
  bankTotalResult: "the aggregator's EMF lines",
  offsetLag: "the local event source mapping's lag (end offsets minus committed)",
  invocations: "START lines of the aggregator's execution environments",
  errors: 'invocations that failed (the mapping retries them)',
  durationP50: 'invocation durations, as the mapping timed them',
  durationP99: 'invocation durations, as the mapping timed them',
  durationMax: 'invocation durations, as the mapping timed them',
  concurrency: 'invocations in flight (START without END yet)',
  databaseConnections: "client backends in PostgreSQL's pg_stat_activity",
  databaseFreeStorage: "free bytes of the file system of PostgreSQL's data directory",
  brokerDiskUsed: "used % of the file system of the broker's data folder",
};

const KEEP_MS = 60 * 60_000;
const RECENT_BATCHES = 15;
const RECENT_REJECTS = 10;
const RECENT_RETRIES = 10;

export interface CollectorSettings {
  readonly databaseUrl: string;
  /** The local broker's data folder; undefined when KAFKA_BROKERS names a broker elsewhere. */
  readonly brokerDataDir: string | undefined;
}

/**
 * What the local page shows, gathered as CloudWatch gathers it (the functions' output lines) and
 * from the database (positions, batches, rejects) and the mapping (lag, retries).
 */
export class DashboardCollector {
  private readonly samples = new MetricSamples(KEEP_MS);
  private readonly inFlight = new Set<string>();
  private readonly processingMs = new Map<string, number>();
  private readonly retries: RetryView[] = [];
  private lagSource: (() => Promise<readonly { partition: number; lag: number }[]>) | undefined;
  private lag: readonly { partition: number; lag: number }[] = [];
  private database: Pick<DashboardSnapshot, 'positions' | 'results' | 'batches' | 'rejects'> = {
    positions: [],
    results: [],
    batches: [],
    rejects: [],
  };
  private readonly pool: pg.Pool;
  private dataDirectory: string | undefined;

  constructor(private readonly settings: CollectorSettings) {
    this.pool = new pg.Pool({ connectionString: settings.databaseUrl, max: 2 });
    this.pool.on('error', () => undefined);
  }

  watchLag(source: () => Promise<readonly { partition: number; lag: number }[]>): void {
    this.lagSource = source;
  }

  onOutput(functionName: string, line: FunctionOutputLine): void {
    if (line.kind === 'metrics') {
      for (const spec of Object.values(METRICS) as MetricSpec[]) {
        if (emfCarries(line.document, spec)) {
          const value = line.document[spec.metricName];
          const values = Array.isArray(value) ? value : [value];
          for (const v of values) if (typeof v === 'number') this.samples.add(spec.id, v);
        }
      }
    } else if (line.kind === 'log' && functionName === 'producer') {
      const sent = metricFilterValue(line.record);
      if (sent !== undefined) this.samples.add(METRICS.produced.id, sent);
    } else if (line.kind === 'platform' && functionName === 'aggregator') {
      const [, event, requestId] = /^(START|END) RequestId: (\S+)/.exec(line.text) ?? [];
      if (event === undefined || requestId === undefined) return;
      if (event === 'START') {
        this.inFlight.add(requestId);
        this.samples.add(METRICS.invocations.id, 1);
      } else {
        this.inFlight.delete(requestId);
      }
      this.samples.add(METRICS.concurrency.id, this.inFlight.size);
    }
  }

  onInvocation(info: InvocationInfo): void {
    for (const spec of [METRICS.durationP50, METRICS.durationP99, METRICS.durationMax]) {
      this.samples.add(spec.id, info.durationMs);
    }
    const batchId = (info.result as Partial<BatchSummary> | undefined)?.batchId;
    if (batchId !== undefined && batchId !== null) this.processingMs.set(String(batchId), info.durationMs);
  }

  onRetry(info: RetryInfo): void {
    this.samples.add(METRICS.errors.id, 1);
    this.retries.unshift({
      at: new Date().toISOString(),
      partition: info.partition,
      fromOffset: info.fromOffset,
      attempt: info.attempt,
      error: info.error instanceof Error ? info.error.message : String(info.error),
    });
    this.retries.splice(RECENT_RETRIES);
  }

  /** Reads the database, the mapping's lag and the disks once. */
  async poll(): Promise<void> {
    const [lag] = await Promise.all([this.lagSource?.().catch(() => undefined), this.readDatabase()]);
    if (lag) {
      this.lag = lag;
      this.samples.add(
        METRICS.offsetLag.id,
        lag.reduce((sum, p) => sum + p.lag, 0),
      );
    }
    if (this.settings.brokerDataDir) {
      const disk = await statfs(this.settings.brokerDataDir);
      this.samples.add(METRICS.brokerDiskUsed.id, (100 * (disk.blocks - disk.bavail)) / disk.blocks);
    }
  }

  snapshot(final = false): DashboardSnapshot {
    return {
      at: Date.now(),
      final,
      rows: DASHBOARD_ROWS.map((row) =>
        row.map(
          (widget): WidgetView => ({
            title: widget.title,
            width: widget.width,
            yAxis: widget.yAxis,
            series: widget.series.map((series) => this.seriesView(series)),
          }),
        ),
      ),
      ...this.database,
      lag: this.lag,
      retries: this.retries,
    };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }

  private seriesView(series: SeriesSpec): SeriesView {
    if (series.kind === 'per-broker') {
      return { label: series.label, source: 'AWS/Kafka broker metrics', awsOnly: true, points: [] };
    }
    const source = LOCAL_SOURCE[series.metric.id];
    if (
      source === undefined ||
      (series.metric.id === METRICS.brokerDiskUsed.id && !this.settings.brokerDataDir)
    ) {
      return {
        label: series.metric.label,
        source: `${series.metric.namespace} metric`,
        awsOnly: true,
        points: [],
      };
    }
    return {
      label: series.metric.label,
      source,
      awsOnly: false,
      points: this.samples.dataPoints(series.metric),
    };
  }

  private async readDatabase(): Promise<void> {
    const client = this.pool;
    {
      this.dataDirectory ??= (
        await client.query<{ data_directory: string }>('SHOW data_directory')
      ).rows[0]?.data_directory;
      const [positions, results, batches, rejects, connections] = await Promise.all([
        client.query(
          `SELECT branch_name AS branch, currency_code AS currency, net_amount::text AS "netAmount",
                  tx_count::text AS "txCount", updated_at AS "updatedAt"
           FROM currency_position ORDER BY branch_name, currency_code`,
        ),
        client.query<PositionResultView>(
          `SELECT branch_name AS branch, currency_code AS currency, net_amount::text AS position,
                  average_rate::text AS "averageRate", realized_in_base::text AS realized,
                  unrealized_in_base::text AS unrealized, total_in_base::text AS total, status
           FROM position_result ORDER BY branch_name, currency_code`,
        ),
        client.query(
          `SELECT batch_id::text AS "batchId", committed_at AS "committedAt", record_count AS records,
                  applied_count AS applied, rejected_count AS rejected,
                  (SELECT string_agg((r->>'partition') || ':' || (r->>'fromOffset') || '..' ||
                                     ((r->>'nextOffset')::bigint - 1), ', ')
                   FROM jsonb_array_elements(offset_ranges) r) AS partitions,
                  (extract(epoch FROM committed_at - first_record_time) * 1000)::float8 AS "delayMs"
           FROM applied_batch ORDER BY batch_id DESC LIMIT ${RECENT_BATCHES}`,
        ),
        client.query(
          `SELECT rejected_at AS at, kafka_partition AS partition, kafka_offset::text AS offset, reason
           FROM rejected_transaction ORDER BY id DESC LIMIT ${RECENT_REJECTS}`,
        ),
        client.query<{ count: number }>(
          "SELECT count(*)::int AS count FROM pg_stat_activity WHERE backend_type = 'client backend'",
        ),
      ]);
      this.database = {
        positions: positions.rows.map((r) => ({ ...r, updatedAt: new Date(r.updatedAt).toISOString() })),
        results: results.rows,
        batches: batches.rows.map(
          (r): BatchView => ({
            ...r,
            committedAt: new Date(r.committedAt).toISOString(),
            partitions: r.partitions ?? '',
            delayMs: r.delayMs ?? undefined,
            processingMs: this.processingMs.get(r.batchId),
          }),
        ),
        rejects: rejects.rows.map((r): RejectView => ({ ...r, at: new Date(r.at).toISOString() })),
      };
      this.samples.add(METRICS.databaseConnections.id, connections.rows[0]?.count ?? 0);
    }
    // The data directory's file system is this machine's only when the server runs here.
    if (
      this.dataDirectory &&
      ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(this.settings.databaseUrl).hostname)
    ) {
      const disk = await statfs(this.dataDirectory).catch(() => undefined);
      if (disk) this.samples.add(METRICS.databaseFreeStorage.id, disk.bavail * disk.bsize);
    }
  }
}
