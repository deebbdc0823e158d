import type { MSKEvent } from 'aws-lambda';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { kafkaRecordSource } from '../../lambda/adapters/kafka-message.js';
import { encodeMskEvent } from '../../lambda/domain/kafka-record.js';
import {
  type EsmEventLine,
  type InvocationInfo,
  invocationLine,
  type RetryInfo,
  retryLine,
} from './event-lines.js';
import { type BatchLimits, type BufferedRecord, PartitionLane } from './partition-lane.js';

/** Points where fault-injection tests kill the process (see docs/ESM-EMULATOR.md). */
export type FaultPoint = 'before-invoke' | 'after-invoke-before-commit' | 'after-commit';

export interface EsmEmulatorOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  /** The mapping's consumer group id. */
  readonly groupId: string;
  /** What AWS puts in the event's eventSourceArn (the cluster ARN) and bootstrapServers. */
  readonly eventSourceArn: string;
  readonly bootstrapServers: string;
  readonly limits: BatchLimits;
  /** TRIM_HORIZON reads a new group's partitions from the start, LATEST from the end. */
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** The function: the aggregator handler itself. */
  readonly invoke: (event: MSKEvent) => Promise<unknown>;
  /** First and longest wait between retries of a failing batch. @default 500 ms, 15 s */
  readonly retryBackoffMs?: { readonly initial: number; readonly max: number };
  readonly onInvocation?: (info: InvocationInfo) => void;
  readonly onRetry?: (info: RetryInfo) => void;
  readonly onFault?: (point: FaultPoint, invocation: number) => void;
  /** Receives each invocation and retry as a structured line (see event-lines.ts). */
  readonly eventLines?: (line: EsmEventLine) => void;
}

export interface EmulatorStats {
  invocations: number;
  recordsCommitted: number;
  retries: number;
  rebalances: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Emulates the MSK event source mapping on a real broker: a consumer group; per partition, records
 * gathered until the batch size, the batching window or 6 MB; an MSK-shaped event; the handler
 * invoked; offsets committed only after it returned; the same batch retried with backoff while it
 * throws; one invocation at a time per partition, so partition order holds.
 */
export class EsmEmulator {
  readonly stats: EmulatorStats = { invocations: 0, recordsCommitted: 0, retries: 0, rebalances: 0 };
  private readonly consumer: Consumer;
  private readonly lanes = new Map<number, PartitionLane>();
  private readonly loops = new Map<number, Promise<void>>();
  private readonly wakers = new Map<number, () => void>();
  private readonly paused = new Set<number>();
  // Bumped on every rebalance: a lane loop from an older generation must not commit or continue.
  private generation = 0;
  private running = false;

  constructor(private readonly options: EsmEmulatorOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      // Up to 6 MB per partition per fetch: one fetch can fill one invocation.
      maxBytesPerPartition: options.limits.maxBytes,
      // Short enough that a killed emulator's partitions move on within seconds, long enough for a 2-core
      // machine under load to keep heartbeating.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      // When every partition is paused (each lane holds two invocations' worth), kafkajs sleeps this
      // long before it looks again, whether or not a lane resumes meanwhile: at the default 5 s the
      // pipeline stalled for seconds under load (the end-to-end benchmark, bench/e2e/, found it). Fetches with data return at
      // once either way; an idle consumer asks the broker ten times a second instead of once in 5 s.
      maxWaitTimeInMs: 100,
    });
  }

  async start(): Promise<void> {
    this.running = true;
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.generation++;
      this.stats.rebalances++;
      for (const lane of this.lanes.values()) lane.reset();
      for (const partition of this.paused)
        this.consumer.resume([{ topic: this.options.topic, partitions: [partition] }]);
      this.paused.clear();
    });
    await this.consumer.connect();
    await this.consumer.subscribe({
      topic: this.options.topic,
      fromBeginning: this.options.startingPosition === 'TRIM_HORIZON',
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 64,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        const lane = this.lane(batch.partition);
        const now = Date.now();
        for (const message of batch.messages) lane.push(message, now);
        // Resolving moves the fetch position only; nothing is committed until the handler returned. Once
        // per fetched batch, at its last message: kafkajs parses each offset it is given into a Long, which
        // per message was 8 % of the emulator's CPU (a profile of 600,000 records).
        const last = batch.messages.at(-1);
        if (last !== undefined) resolveOffset(last.offset);
        this.wake(batch.partition);
        // Backpressure: a lane holding two invocations' worth stops fetching until it drains.
        if (
          lane.size >= 2 * this.options.limits.batchSize ||
          lane.bytes >= 2 * this.options.limits.maxBytes
        ) {
          this.consumer.pause([{ topic: this.options.topic, partitions: [batch.partition] }]);
          this.paused.add(batch.partition);
        }
        await heartbeat();
      },
    });
  }

  /** Stops fetching, lets in-flight invocations finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const wake of this.wakers.values()) wake();
    await Promise.allSettled(this.loops.values());
    await this.consumer.disconnect();
  }

  /** Committed offset per partition (the next offset the group will read). */
  async committedOffsets(admin: Admin): Promise<Map<number, number>> {
    const [topicOffsets] = await admin.fetchOffsets({
      groupId: this.options.groupId,
      topics: [this.options.topic],
    });
    return new Map((topicOffsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  private lane(partition: number): PartitionLane {
    let lane = this.lanes.get(partition);
    if (!lane) {
      lane = new PartitionLane(this.options.topic, partition, this.options.limits);
      this.lanes.set(partition, lane);
      this.loops.set(partition, this.runLane(lane));
    }
    return lane;
  }

  private wake(partition: number): void {
    this.wakers.get(partition)?.();
  }

  private waitForWork(partition: number, ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakers.set(partition, done);
    });
  }

  private async runLane(lane: PartitionLane): Promise<void> {
    while (this.running) {
      const due = lane.dueIn(Date.now());
      if (due === undefined || due > 0) {
        await this.waitForWork(lane.partition, due);
        continue;
      }
      const generation = this.generation;
      const batch = lane.peekBatch();
      const committed = await this.invokeUntilDone(lane, batch, generation);
      if (!committed || generation !== this.generation) continue;
      lane.release(batch.length, Date.now());
      if (this.paused.has(lane.partition) && lane.size < this.options.limits.batchSize) {
        try {
          this.consumer.resume([{ topic: this.options.topic, partitions: [lane.partition] }]);
          this.paused.delete(lane.partition);
        } catch {
          // kafkajs is restarting the consumer after a crash (a broker that went away): the partition
          // stays in `paused`, and the GROUP_JOIN listener resumes it once the consumer has rejoined.
          // Thrown here, it would end this lane's loop and strand the partition.
        }
      }
    }
  }

  /** Invokes until the handler returns, then commits. False when a rebalance or stop took the batch. */
  private async invokeUntilDone(
    lane: PartitionLane,
    batch: BufferedRecord[],
    generation: number,
  ): Promise<boolean> {
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (!first || !last) return false;
    const event = encodeMskEvent(
      batch.map(({ message }) => kafkaRecordSource(lane.topic, lane.partition, message)),
      { eventSourceArn: this.options.eventSourceArn, bootstrapServers: this.options.bootstrapServers },
    );
    const backoff = this.options.retryBackoffMs ?? { initial: 500, max: 15_000 };
    let delay = backoff.initial;
    for (let attempt = 1; ; attempt++) {
      const invocation = this.stats.invocations + 1;
      this.options.onFault?.('before-invoke', invocation);
      const started = Date.now();
      try {
        this.stats.invocations++;
        const result = await this.options.invoke(event);
        this.options.onFault?.('after-invoke-before-commit', invocation);
        if (generation !== this.generation) return false;
        await this.consumer.commitOffsets([
          { topic: lane.topic, partition: lane.partition, offset: String(last.offset + 1) },
        ]);
        this.options.onFault?.('after-commit', invocation);
        this.stats.recordsCommitted += batch.length;
        const info: InvocationInfo = {
          topic: lane.topic,
          partition: lane.partition,
          fromOffset: first.offset,
          toOffset: last.offset,
          records: batch.length,
          durationMs: Date.now() - started,
          result,
        };
        this.options.onInvocation?.(info);
        this.options.eventLines?.(invocationLine(info));
        return true;
      } catch (error) {
        // A commit refused after a rebalance: the partition's new owner gets the records again, and
        // the handler's checkpoint makes that redelivery harmless.
        if (generation !== this.generation || !this.running) return false;
        this.stats.retries++;
        const info: RetryInfo = {
          topic: lane.topic,
          partition: lane.partition,
          fromOffset: first.offset,
          attempt,
          delayMs: delay,
          error,
        };
        this.options.onRetry?.(info);
        this.options.eventLines?.(retryLine(info));
        await sleep(delay);
        delay = Math.min(backoff.max, delay * 2);
        if (generation !== this.generation || !this.running) return false;
      }
    }
  }
}
