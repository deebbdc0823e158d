import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { MAX_RECORDS_PER_SEND } from '../../../bench/e2e/plan.js';
import { produceRun } from '../../../bench/e2e/produce-run.js';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import { toCents } from '../../../lambda/domain/money.js';

describe('produceRun', () => {
  it('sends everything flat out in requests of at most MAX_RECORDS_PER_SEND, and totals it in cents', async () => {
    // Prepare
    const requests: Message[][] = [];
    const producer = {
      send: async (record: { messages: Message[] }) => {
        requests.push(record.messages);
        return [];
      },
    };
    const records = MAX_RECORDS_PER_SEND + 5;

    // Act
    const result = await produceRun(
      producer,
      new TransactionGenerator({ seed: 7, idPrefix: 't' }),
      'transaction',
      { type: 'produce', id: 3, records, ratePerSecond: undefined },
    );

    // Assess
    expect(requests.map((messages) => messages.length)).toEqual([MAX_RECORDS_PER_SEND, 5]);
    if (result.type !== 'produced') throw new Error(`unexpected ${result.type}`);
    expect(result).toMatchObject({ id: 3, sent: records });
    const expected = new Map<string, bigint>();
    for (const message of requests.flat()) {
      const deal = JSON.parse(String(message.value)) as { branch: string; currency: string; amount: number };
      const key = `${deal.branch}|${deal.currency}`;
      expected.set(key, (expected.get(key) ?? 0n) + BigInt(toCents(deal.amount) ?? Number.NaN));
    }
    expect(new Map(result.totals.map(([key, cents]) => [key, BigInt(cents)]))).toEqual(expected);
    expect(result.totals.reduce((sum, [, , count]) => sum + count, 0)).toBe(records);
  });
});
