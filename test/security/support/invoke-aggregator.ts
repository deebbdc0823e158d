/**
 * Invokes the aggregator handler once, in a process of its own, as a Lambda container would: its
 * configuration comes from the environment the test sets. The security test reads what it printed.
 * Exits 0 when the handler threw (the batch not committed, so retried), 1 when it returned.
 */
import { encodeMskEvent } from '../../../lambda/domain/kafka-record.js';

const { handler } = await import('../../../lambda/aggregator/handler.js');
const event = encodeMskEvent(
  [
    {
      topic: 'transaction',
      partition: 0,
      offset: 0,
      timestamp: Date.now(),
      key: Buffer.from('SPB'),
      value: Buffer.from(JSON.stringify({ branch: 'SPB', currency: 'USD', amount: 1 })),
    },
  ],
  {
    eventSourceArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/security/abc',
    bootstrapServers: 'b-1:9098',
  },
);
try {
  await handler(event);
  process.exitCode = 1;
} catch {
  process.exitCode = 0;
}
