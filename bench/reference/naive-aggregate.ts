/**
 * A reference implementation, kept only as the handler benchmark's baseline and oracle: what a first
 * version of the handler would look like. Buffer.from + JSON.parse + a Map, no validation, no offsets,
 * amounts summed as binary floats. The product never runs it; the benchmark times the handler against
 * it and checks that both sum alike (bench/handler-throughput/variants.ts).
 */
import type { MSKEvent } from 'aws-lambda';
import { totalsKey } from '../../lambda/producer/publish.js';

/** Sums of amount per branch|currency, in whole units as floats. */
export function naiveAggregate(event: MSKEvent): Map<string, number> {
  const sums = new Map<string, number>();
  for (const records of Object.values(event.records)) {
    for (const record of records) {
      const deal = JSON.parse(Buffer.from(record.value, 'base64').toString('utf8')) as {
        branch: string;
        currency: string;
        amount: number;
      };
      const key = totalsKey(deal.branch, deal.currency);
      sums.set(key, (sums.get(key) ?? 0) + deal.amount);
    }
  }
  return sums;
}
