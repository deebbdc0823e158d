import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import type { KafkaRecordSource } from '../../../lambda/domain/kafka-record.js';
import { totalsKey } from '../../../lambda/producer/publish.js';
import type { Totals } from '../../../local/totals.js';

/** Expected sum (cents, bigint) and count per "branch|currency", computed without the code under test. */
export type Truth = Totals;

export function addToTruth(truth: Truth, branch: string, currency: string, amount: number): void {
  const key = totalsKey(branch, currency);
  const entry = truth.get(key) ?? { sum: 0n, count: 0 };
  // Generated amounts are whole units: cents = units × 100, in bigint so that nothing rounds.
  entry.sum += BigInt(amount) * 100n;
  entry.count++;
  truth.set(key, entry);
}

/** Generated valid deals as Kafka records of one partition, with the ground truth they add up to. */
export function generatedRecords(
  topic: string,
  partition: number,
  fromOffset: number,
  count: number,
  seed: number,
): { records: KafkaRecordSource[]; deals: { branch: string; currency: string; amount: number }[] } {
  const generator = new TransactionGenerator({ seed, idPrefix: `p${partition}` });
  const records: KafkaRecordSource[] = [];
  const deals: { branch: string; currency: string; amount: number }[] = [];
  for (let i = 0; i < count; i++) {
    const deal = generator.next(1_764_000_000_000 + i);
    deals.push(deal);
    records.push({
      topic,
      partition,
      offset: fromOffset + i,
      timestamp: deal.eventTime,
      key: Buffer.from(deal.branch),
      value: Buffer.from(JSON.stringify(deal)),
    });
  }
  return { records, deals };
}

export function truthOf(deals: readonly { branch: string; currency: string; amount: number }[]): Truth {
  const truth: Truth = new Map();
  for (const deal of deals) addToTruth(truth, deal.branch, deal.currency, deal.amount);
  return truth;
}
