import {
  CompressionTypes,
  type ICustomPartitioner,
  type Message,
  Partitioners,
  type Producer,
  type RecordMetadata,
} from 'kafkajs';
import type { GeneratedTransaction, TransactionGenerator } from '../domain/generator.js';
import { CentsSum, toCents } from '../domain/money.js';

export interface PublishOptions {
  readonly topic: string;
  readonly ratePerSecond: number;
  readonly durationSeconds: number;
  readonly generator: TransactionGenerator;
  /** How often a request goes out; each carries the deals due since the last. @default 100 */
  readonly tickMs?: number;
  /** Ends publishing early (Ctrl-C locally). */
  readonly signal?: AbortSignal;
  /**
   * When the run's clock started (epoch ms): the handler passes its invocation's start, so that the
   * time spent connecting counts against the duration and a run ends on time (N23). The deals due
   * meanwhile go out in the first request. @default now
   */
  readonly startedAt?: number;
}

/** Per partition: how many deals went there and the offset of the last one. */
export interface PartitionReport {
  count: number;
  lastOffset: number;
}

/** Sum and count per branch × currency of what the broker acknowledged: the ground truth. */
export interface SentTotals {
  readonly sum: CentsSum;
  count: number;
}

export interface PublishReport {
  sent: number;
  readonly partitions: Map<number, PartitionReport>;
  readonly totals: Map<string, SentTotals>;
  elapsedMs: number;
}

/**
 * kafkajs' default partitioner (murmur2 of the key, as the Java client), counting where each message
 * went, so that the producer can log each partition's last offset as the tutorial printed metadata.
 */
export class CountingPartitioner {
  private counts = new Map<number, number>();

  readonly create: ICustomPartitioner = () => {
    const partition = Partitioners.DefaultPartitioner();
    return (args) => {
      const chosen = partition(args);
      this.counts.set(chosen, (this.counts.get(chosen) ?? 0) + 1);
      return chosen;
    };
  };

  /** Counts since the last call. */
  take(): Map<number, number> {
    const counts = this.counts;
    this.counts = new Map();
    return counts;
  }
}

export function totalsKey(branch: string, currency: string): string {
  return `${branch}|${currency}`;
}

/**
 * The record key: the position (branch × currency) the deal moves. Every deal of one position lands
 * on one partition, in order, which is all the aggregator needs (a position's limit breaches begin
 * and clear in deal order; sums commute across positions). Keyed by branch alone, as the tutorial
 * was, the 4 default branches kept at most 4 partitions busy whatever topicPartitions said, and the
 * mapping runs one invocation per partition at a time (S1); 16 positions spread over up to 16.
 */
export function messageKey(tx: Pick<GeneratedTransaction, 'branch' | 'currency'>): string {
  return totalsKey(tx.branch, tx.currency);
}

export function toMessage(tx: GeneratedTransaction): Message {
  return { key: messageKey(tx), value: JSON.stringify(tx), timestamp: String(tx.eventTime) };
}

function recordAcknowledged(
  report: PublishReport,
  sent: readonly GeneratedTransaction[],
  metadata: readonly RecordMetadata[],
  perPartition: ReadonlyMap<number, number> | undefined,
): void {
  report.sent += sent.length;
  for (const tx of sent) {
    const key = totalsKey(tx.branch, tx.currency);
    let totals = report.totals.get(key);
    if (!totals) {
      totals = { sum: new CentsSum(), count: 0 };
      report.totals.set(key, totals);
    }
    totals.sum.add(toCents(tx.amount) ?? 0);
    totals.count++;
  }
  // Without a counting partitioner there is no telling how many messages each partition got.
  if (perPartition === undefined) return;
  for (const partition of metadata) {
    const count = perPartition.get(partition.partition) ?? 0;
    const entry = report.partitions.get(partition.partition) ?? { count: 0, lastOffset: -1 };
    entry.count += count;
    entry.lastOffset = Math.max(entry.lastOffset, Number(partition.baseOffset) + count - 1);
    report.partitions.set(partition.partition, entry);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Sends generated deals at a steady rate for a duration. Each tick sends everything due by then, so a
 * slow request is caught up on rather than lowering the rate. Returns what the broker acknowledged.
 */
export async function publishAtRate(
  producer: Pick<Producer, 'send'>,
  options: PublishOptions,
  partitioner?: CountingPartitioner,
): Promise<PublishReport> {
  const tickMs = options.tickMs ?? 100;
  const report: PublishReport = { sent: 0, partitions: new Map(), totals: new Map(), elapsedMs: 0 };
  const started = options.startedAt ?? Date.now();
  const endAt = started + options.durationSeconds * 1000;
  while (!options.signal?.aborted) {
    const now = Math.min(Date.now(), endAt);
    const due = Math.floor(((now - started) / 1000) * options.ratePerSecond);
    const count = due - report.sent;
    if (count > 0) {
      const batch = Array.from({ length: count }, () => options.generator.next());
      const metadata = await producer.send({
        topic: options.topic,
        compression: CompressionTypes.GZIP,
        messages: batch.map(toMessage),
      });
      recordAcknowledged(report, batch, metadata, partitioner?.take());
    }
    if (now >= endAt) break;
    await sleep(Math.max(0, Math.min(tickMs, endAt - Date.now())), options.signal);
  }
  report.elapsedMs = Date.now() - started;
  return report;
}
