import { CompressionTypes, Kafka, logLevel, type Message, type Producer, type RetryOptions } from 'kafkajs';
import { TransactionGenerator } from '../../../../lambda/domain/generator.js';
import { addToTruth, type Truth } from '../../support/records.js';

export interface LiveProducerOptions {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly ratePerSecond: number;
  readonly seed: number;
  /** kafkajs retries of one request; the broker-restart test gives it enough to outlast the outage. */
  readonly retry?: RetryOptions;
}

/**
 * A stream of generated deals at a steady rate, as the producer Lambda sends them (idempotent, gzip,
 * key = branch, one request in flight), running while a test injects its fault. It keeps the ground
 * truth of what the broker acknowledged.
 */
export class LiveProducer {
  /** Sum and count per branch × currency of the acknowledged deals. */
  readonly truth: Truth = new Map();
  acknowledged = 0;
  /** The longest a request took to be acknowledged: how long kafkajs kept retrying it. */
  longestSendMs = 0;
  /** Requests kafkajs gave up on: their deals may or may not be in the topic. */
  readonly failures: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly producer: Producer,
    private readonly options: LiveProducerOptions,
  ) {
    this.loop = this.run();
  }

  static async start(options: LiveProducerOptions): Promise<LiveProducer> {
    const kafka = new Kafka({
      clientId: 'fault-test-producer',
      brokers: [...options.brokers],
      logLevel: logLevel.NOTHING,
      ...(options.retry ? { retry: options.retry } : {}),
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    return new LiveProducer(producer, options);
  }

  /** Stops after the request in flight and disconnects. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer.disconnect().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const generator = new TransactionGenerator({
      seed: this.options.seed,
      idPrefix: `s${this.options.seed}`,
    });
    const started = Date.now();
    let due = 0;
    while (this.running) {
      const target = Math.floor(((Date.now() - started) / 1000) * this.options.ratePerSecond);
      const count = target - due;
      if (count > 0) {
        due = target;
        const deals = Array.from({ length: count }, () => generator.next());
        const messages: Message[] = deals.map((deal) => ({ key: deal.branch, value: JSON.stringify(deal) }));
        const sentAt = Date.now();
        try {
          await this.producer.send({
            topic: this.options.topic,
            compression: CompressionTypes.GZIP,
            messages,
          });
          this.longestSendMs = Math.max(this.longestSendMs, Date.now() - sentAt);
          for (const deal of deals) addToTruth(this.truth, deal.branch, deal.currency, deal.amount);
          this.acknowledged += deals.length;
        } catch (error) {
          this.failures.push((error as Error).message);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
