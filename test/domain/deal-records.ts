import type { PositionDelta } from '../../lambda/domain/aggregate.js';
import { type GeneratorOptions, TransactionGenerator } from '../../lambda/domain/generator.js';
import type { KafkaRecord } from '../../lambda/domain/kafka-record.js';

export const TOPIC = 'transaction';
export const T0 = 1_732_441_850_987;

/** What a record should add to a position, computed without the code under test. */
export interface Cell {
  readonly sum: bigint;
  readonly count: number;
}

/** A deal on the wire: any JSON value, valid or not. */
export type Deal = Record<string, unknown>;

/** Generated deals, numbered so that each has its own event time. */
export function generateDeals(count: number, options: GeneratorOptions = {}): Deal[] {
  const generator = new TransactionGenerator(options);
  return Array.from({ length: count }, (_, i) => ({ ...generator.next(T0 + i) }));
}

/**
 * Deals as Kafka records, spread round-robin over `partitions` with consecutive offsets per partition
 * from `firstOffset`, keyed by branch as the producer does.
 */
export function dealRecords(
  deals: readonly Deal[],
  {
    partitions = 3,
    firstOffset = 0,
    topic = TOPIC,
  }: { partitions?: number; firstOffset?: number; topic?: string } = {},
): KafkaRecord[] {
  const next = new Map<number, number>();
  return deals.map((deal, i) => {
    const partition = i % partitions;
    const offset = next.get(partition) ?? firstOffset;
    next.set(partition, offset + 1);
    return {
      topic,
      partition,
      offset,
      timestamp: T0 + i,
      key: Buffer.from(String(deal.branch)),
      value: Buffer.from(JSON.stringify(deal)),
    };
  });
}

/** Cents of an amount with at most two decimals, by decimal arithmetic on its text. */
function centsOf(amount: number): bigint {
  const [whole = '0', fraction = ''] = String(Math.abs(amount)).split('.');
  const cents = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  return amount < 0 ? -cents : cents;
}

/** Sum and count per `branch|currency` of the deals, in bigint. Assumes every deal is valid. */
export function expectedCells(deals: readonly Deal[]): Map<string, Cell> {
  const cells = new Map<string, Cell>();
  for (const deal of deals) {
    const key = `${String(deal.branch)}|${String(deal.currency)}`;
    const cell = cells.get(key) ?? { sum: 0n, count: 0 };
    cells.set(key, { sum: cell.sum + centsOf(deal.amount as number), count: cell.count + 1 });
  }
  return cells;
}

/** The deltas of an aggregate in the same shape as expectedCells. */
export function cellsOf(deltas: readonly PositionDelta[]): Map<string, Cell> {
  return new Map(
    deltas.map((delta) => [
      `${delta.branch}|${delta.currency}`,
      { sum: delta.sum.toBigInt(), count: delta.count },
    ]),
  );
}
