import { describe, expect, it } from 'vitest';
import { TransactionGenerator } from '../../../lambda/domain/generator.js';
import { exitWithin, spawnScript } from '../../../local/support/child-process.js';
import { testKafka } from '../support/kafka.js';

describe('the CI gate: npm start exit code', () => {
  it('exits 1 when the applied totals differ from what the producer sent (a deal from outside)', async () => {
    // Prepare: npm start with its own broker and its own PostgreSQL, as a newcomer runs it; once the
    // topic exists, one deal the producer never sent goes into it, so the end check must find a
    // mismatch.
    let injected: Promise<void> | undefined;
    let brokers: string | undefined;
    const run = spawnScript(
      'local/run/cli.ts',
      ['--duration', '6', '--quiet', '--no-dashboard', '--window', '0.5'],
      {
        env: { KAFKA_BROKERS: '', DATABASE_URL: '', TOPIC: '' },
        onLine: (line) => {
          brokers ??= /^Kafka: embedded broker on (\S+)/.exec(line)?.[1];
          if (brokers && !injected && /^(migrations applied|schema up to date)/.test(line))
            injected = injectDeal(brokers);
        },
      },
    );

    // Act
    const exit = await exitWithin(run, 240_000, 'npm start');
    await injected;

    // Assess
    expect(injected, exit.output).toBeDefined();
    expect(exit.output).toMatch(/^MISMATCH /m);
    expect(exit.code, exit.output).toBe(1);
  });
});

async function injectDeal(brokers: string): Promise<void> {
  const deal = new TransactionGenerator().next(Date.now());
  const producer = testKafka(brokers).producer();
  await producer.connect();
  try {
    await producer.send({
      topic: 'transaction',
      messages: [{ key: deal.branch, value: JSON.stringify(deal) }],
    });
  } finally {
    await producer.disconnect();
  }
}
