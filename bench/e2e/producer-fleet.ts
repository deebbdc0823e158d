/**
 * Producer processes (kafkajs, idempotent, gzip, key = branch, as lambda/producer) sending the
 * generator's deals. Each has a fixed seed, so every system is fed the same sequence of deals.
 */
import type { ChildProcess } from 'node:child_process';
import type { Totals } from '../../local/verify/totals.js';
import { forkWorker, nextMessage, stopChild } from './child-processes.js';
import { type ProduceCommand, type ProducerMessage, producerWorkerEnv } from './worker-messages.js';

export interface ProduceResult {
  readonly sent: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Records acknowledged per second of the run. */
  readonly rate: number;
}

const WORKER = new URL('./producer-worker.ts', import.meta.url);

export class ProducerFleet {
  /** What the broker acknowledged so far: the ground truth of the aggregates. */
  readonly totals: Totals = new Map();
  produced = 0;
  private commands = 0;

  private constructor(private readonly children: readonly ChildProcess[]) {}

  static async start(count: number, brokers: readonly string[], topic: string): Promise<ProducerFleet> {
    const children = Array.from({ length: count }, (_, index) =>
      forkWorker(WORKER, producerWorkerEnv({ brokers, topic, index })),
    );
    const fleet = new ProducerFleet(children);
    try {
      await Promise.all(
        children.map((child, index) =>
          nextMessage<ProducerMessage>(child, (m) => m.type === 'ready', `producer ${index}`),
        ),
      );
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    return fleet;
  }

  get pids(): number[] {
    return this.children.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  /** Sends `records` in all, shared among the producers, at `ratePerSecond` in all (or flat out). */
  async produce(records: number, ratePerSecond: number | undefined): Promise<ProduceResult> {
    const id = ++this.commands;
    const n = this.children.length;
    const results = await Promise.all(
      this.children.map((child, index) => {
        const reply = nextMessage<ProducerMessage>(
          child,
          (m) => m.type === 'produced' && m.id === id,
          `producer ${index}`,
        );
        const command: ProduceCommand = {
          type: 'produce',
          id,
          records: Math.floor(records / n) + (index < records % n ? 1 : 0),
          ratePerSecond: ratePerSecond === undefined ? undefined : ratePerSecond / n,
        };
        child.send(command);
        return reply;
      }),
    );
    let sent = 0;
    let startedAt = Number.POSITIVE_INFINITY;
    let endedAt = 0;
    for (const result of results) {
      if (result.type !== 'produced') continue;
      sent += result.sent;
      startedAt = Math.min(startedAt, result.startedAt);
      endedAt = Math.max(endedAt, result.endedAt);
      for (const [key, cents, count] of result.totals) {
        const entry = this.totals.get(key) ?? { sum: 0n, count: 0 };
        entry.sum += BigInt(cents);
        entry.count += count;
        this.totals.set(key, entry);
      }
    }
    this.produced += sent;
    return { sent, startedAt, endedAt, rate: (1000 * sent) / Math.max(1, endedAt - startedAt) };
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => stopChild(child, 10_000)));
  }
}
