/** One producer's run: the deals due at its rate, sent tick by tick, and the totals acknowledged. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer } from 'kafkajs';
import { CompressionTypes } from 'kafkajs';
import type { GeneratedTransaction, TransactionGenerator } from '../../lambda/domain/generator.js';
import { toCents } from '../../lambda/domain/money.js';
import { toMessage, totalsKey } from '../../lambda/producer/publish.js';
import { MAX_RECORDS_PER_SEND, PRODUCER_TICK_MS } from './plan.js';
import type { ProduceCommand, ProducerMessage } from './worker-messages.js';

/**
 * Sends everything due at each tick (so a slow request is caught up on, not lost), in requests of at
 * most MAX_RECORDS_PER_SEND. The wait between ticks paces the rate; it sequences nothing.
 */
export async function produceRun(
  producer: Pick<Producer, 'send'>,
  generator: TransactionGenerator,
  topic: string,
  command: ProduceCommand,
  now: () => number = Date.now,
): Promise<ProducerMessage> {
  const totals = new Map<string, { cents: bigint; count: number }>();
  const startedAt = now();
  let sent = 0;
  while (sent < command.records) {
    const at = now();
    const due =
      command.ratePerSecond === undefined
        ? command.records
        : Math.min(command.records, Math.floor(((at - startedAt) * command.ratePerSecond) / 1000));
    if (due <= sent) {
      await sleep(PRODUCER_TICK_MS);
      continue;
    }
    const deals: GeneratedTransaction[] = [];
    for (let i = Math.min(due - sent, MAX_RECORDS_PER_SEND); i > 0; i--) deals.push(generator.next(at));
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: deals.map(toMessage) });
    for (const deal of deals) {
      const cents = toCents(deal.amount);
      if (cents === undefined)
        throw new Error(`the generator made an amount of no exact cents: ${deal.amount}`);
      const key = totalsKey(deal.branch, deal.currency);
      const entry = totals.get(key) ?? { cents: 0n, count: 0 };
      entry.cents += BigInt(cents);
      entry.count++;
      totals.set(key, entry);
    }
    sent += deals.length;
  }
  return {
    type: 'produced',
    id: command.id,
    sent,
    startedAt,
    endedAt: now(),
    totals: [...totals].map(([key, { cents, count }]) => [key, cents.toString(), count]),
  };
}
