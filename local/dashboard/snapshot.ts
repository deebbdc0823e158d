import type { DataPoint } from './metric-series.js';

/**
 * What the page receives over server-sent events (event `snapshot`, one JSON document), every
 * refresh: the contract between local/dashboard/collector.ts and page/dashboard.js.
 */
export interface DashboardSnapshot {
  /** Epoch milliseconds. */
  readonly at: number;
  /** True in the last snapshot, sent when the run ends. */
  readonly final: boolean;
  readonly rows: readonly (readonly WidgetView[])[];
  readonly positions: readonly PositionView[];
  /** position_result's rows: decimal text, null where unknown (status says why). */
  readonly results: readonly PositionResultView[];
  readonly batches: readonly BatchView[];
  readonly lag: readonly { readonly partition: number; readonly lag: number }[];
  readonly retries: readonly RetryView[];
  readonly rejects: readonly RejectView[];
}

export interface WidgetView {
  readonly title: string;
  readonly width: number;
  readonly yAxis: { readonly min?: number; readonly max?: number };
  readonly series: readonly SeriesView[];
}

/**
 * A line of a widget: its data points from the local counterpart, or, where there is none, why
 * (`awsOnly`), so that no empty graph passes for a quiet one.
 */
export interface SeriesView {
  readonly label: string;
  /** How the local run measures it (e.g. "EMF lines of the aggregator"). */
  readonly source: string;
  readonly awsOnly: boolean;
  readonly points: readonly DataPoint[];
}

export interface PositionView {
  readonly branch: string;
  readonly currency: string;
  /** Decimal text, as PostgreSQL's numeric prints it. */
  readonly netAmount: string;
  readonly txCount: string;
  readonly updatedAt: string;
}

export interface PositionResultView {
  readonly branch: string;
  readonly currency: string;
  readonly position: string;
  readonly averageRate: string | null;
  readonly realized: string | null;
  readonly unrealized: string | null;
  readonly total: string | null;
  readonly status: string;
}

export interface BatchView {
  readonly batchId: string;
  readonly committedAt: string;
  readonly partitions: string;
  readonly records: number;
  readonly applied: number;
  readonly rejected: number;
  /** The invocation's duration seen by the event source mapping; undefined for another run's batch. */
  readonly processingMs: number | undefined;
  /** From the oldest record's timestamp to the commit. */
  readonly delayMs: number | undefined;
}

export interface RetryView {
  readonly at: string;
  readonly partition: number;
  readonly fromOffset: number;
  readonly attempt: number;
  readonly error: string;
}

export interface RejectView {
  readonly at: string;
  readonly partition: number;
  readonly offset: string;
  readonly reason: string;
}
