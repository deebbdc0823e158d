/**
 * The deals the load generator cycles through: the producer's own (TransactionGenerator, toMessage:
 * the same keys and values lambda/producer sends), written once to a file for the Java producer, and
 * the ground truth of the first n records of the cycle. Pure but for the file.
 */
import { writeFile } from 'node:fs/promises';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import { toCents } from '../../../lambda/domain/money.js';
import { toMessage, totalsKey } from '../../../lambda/producer/publish.js';
import type { Totals } from '../../../local/verify/totals.js';

export class DealPool {
  /** Position (branch|currency) of each deal, as an index into `cells`. */
  private readonly cellOf: Uint8Array;
  private readonly cents: Float64Array;
  private readonly cells: string[] = [];
  readonly lines: string[];

  constructor(size: number, seed: number, idPrefix: string, eventTime: number) {
    const generator = new TransactionGenerator({ seed, idPrefix });
    this.cellOf = new Uint8Array(size);
    this.cents = new Float64Array(size);
    this.lines = new Array<string>(size);
    const cellIndex = new Map<string, number>();
    for (let i = 0; i < size; i++) {
      const deal = generator.next(eventTime);
      const message = toMessage(deal);
      const cents = toCents(deal.amount);
      if (cents === undefined)
        throw new Error(`the generator made an amount of no exact cents: ${deal.amount}`);
      const key = totalsKey(deal.branch, deal.currency);
      let cell = cellIndex.get(key);
      if (cell === undefined) {
        cell = this.cells.length;
        if (cell > 255) throw new Error('more than 256 positions in the pool');
        this.cells.push(key);
        cellIndex.set(key, cell);
      }
      this.cellOf[i] = cell;
      this.cents[i] = Number(cents);
      if ((message.key as string).includes('\t') || (message.value as string).includes('\n')) {
        throw new Error('a key or value the records file cannot hold');
      }
      this.lines[i] = `${message.key as string}\t${message.value as string}`;
    }
  }

  get size(): number {
    return this.cents.length;
  }

  async write(path: string): Promise<void> {
    await writeFile(path, `${this.lines.join('\n')}\n`);
  }

  /** Adds records [from, from + count) of the cycle to `totals`. */
  addTo(totals: Totals, from: number, count: number): void {
    const sums = new Float64Array(this.cells.length);
    const counts = new Float64Array(this.cells.length);
    for (let n = 0; n < count; n++) {
      const i = (from + n) % this.size;
      const cell = this.cellOf[i] as number;
      sums[cell] = (sums[cell] as number) + (this.cents[i] as number);
      counts[cell] = (counts[cell] as number) + 1;
    }
    this.cells.forEach((key, cell) => {
      if (counts[cell] === 0) return;
      const entry = totals.get(key) ?? { sum: 0n, count: 0 };
      // Whole cents summed in a double stay exact below 2^53 (90 trillion dollars).
      entry.sum += BigInt(sums[cell] as number);
      entry.count += counts[cell] as number;
      totals.set(key, entry);
    });
  }
}
