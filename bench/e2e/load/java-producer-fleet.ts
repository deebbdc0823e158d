/**
 * The benchmark's load: one process of Kafka's own Java producer (DealProducer.java, kafka-clients from
 * the distribution local/infra/kafka fetches) sending the producer's deals from a DealPool, in their
 * order, cycling. A JVM producer spends a fraction of the CPU per record that kafkajs did, so that at
 * the sustained step the generator is not what runs out (the report shows its share).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ensureKafkaDistribution } from '../../../local/infra/kafka/distribution.js';
import type { Totals } from '../../../local/verify/totals.js';
import { DealPool } from './deal-pool.js';
import type { LoadGenerator, ProduceResult } from './load-generator.js';

const SOURCE = fileURLToPath(new URL('./DealProducer.java', import.meta.url));
/** Deals in the cycle: enough that a step repeats none, small enough to generate in about a second. */
export const POOL_DEALS = 500_000;
// The seed and id prefix the kafkajs producers had for their first process, so the deals are theirs.
const POOL_SEED = 1_000;
const POOL_ID_PREFIX = 'bench-0';
/** The producer's JVM: a heap for the pool and the client's buffers; the serial collector (one thread). */
export const PRODUCER_JVM_OPTIONS = ['-Xmx1g', '-XX:+UseSerialGC'];
/** The load as the report describes it. */
export const LOAD_DESCRIPTION =
  "one process of Kafka's own Java producer (kafka-clients of the fetched Kafka distribution; idempotent, acks=all, gzip at level 1, " +
  `linger 20 ms, batches up to 512 KB), cycling in order through ${POOL_DEALS.toLocaleString('en-US')} of the producer's deals (its generator and toMessage: the same keys and values), ` +
  'each stamped with CreateTime as it is sent; the ground truth is the first n deals of the cycle, n acknowledged';

type ProducerLine =
  | { readonly type: 'ready' }
  | {
      readonly type: 'produced';
      readonly id: number;
      readonly sent: number;
      readonly startedAt: number;
      readonly endedAt: number;
    }
  | { readonly type: 'error'; readonly message: string };

export class JavaProducerFleet implements LoadGenerator {
  readonly totals: Totals = new Map();
  produced = 0;
  private commands = 0;
  private readonly waiting = new Map<number, (line: ProducerLine) => void>();
  private failed: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly pool: DealPool,
    private readonly dir: string,
  ) {}

  static async start(
    brokers: readonly string[],
    topic: string,
    log: (line: string) => void,
  ): Promise<JavaProducerFleet> {
    const lib = await ensureKafkaDistribution(log);
    const dir = await mkdtemp(join(tmpdir(), 'treasury-bench-load-'));
    const pool = new DealPool(POOL_DEALS, POOL_SEED, POOL_ID_PREFIX, Date.now());
    const file = join(dir, 'deals.tsv');
    await pool.write(file);
    const child = spawn(
      'java',
      [...PRODUCER_JVM_OPTIONS, '-cp', `${lib}/*`, SOURCE, brokers.join(','), topic, file, 'bench-producer'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const fleet = new JavaProducerFleet(child, pool, dir);
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      if (stderr.length > 50) stderr.shift();
    });
    const ready = new Promise<void>((resolve, reject) => {
      fleet.waiting.set(0, (line) =>
        line.type === 'ready' ? resolve() : reject(new Error(`the Java producer: ${JSON.stringify(line)}`)),
      );
      child.once('exit', (code, signal) => {
        fleet.failed = `the Java producer exited (${signal ?? `code ${code}`}): ${stderr.join('').slice(-500)}`;
        reject(new Error(fleet.failed));
        for (const settle of fleet.waiting.values()) settle({ type: 'error', message: fleet.failed });
      });
    });
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      let line: ProducerLine;
      try {
        line = JSON.parse(text) as ProducerLine;
      } catch {
        return;
      }
      if (line.type === 'error') {
        fleet.failed = `the Java producer: ${line.message}`;
        for (const settle of fleet.waiting.values()) settle(line);
        fleet.waiting.clear();
        return;
      }
      const id = line.type === 'produced' ? line.id : 0;
      const settle = fleet.waiting.get(id);
      fleet.waiting.delete(id);
      settle?.(line);
    });
    try {
      await ready;
    } catch (error) {
      await fleet.stop();
      throw error;
    }
    log(
      `load: Kafka's Java producer (pid ${child.pid}) ready with ${POOL_DEALS.toLocaleString('en-US')} deals in its cycle`,
    );
    return fleet;
  }

  get pids(): number[] {
    return this.child.pid === undefined ? [] : [this.child.pid];
  }

  async produce(records: number, ratePerSecond: number | undefined): Promise<ProduceResult> {
    if (this.failed) throw new Error(this.failed);
    const id = ++this.commands;
    const reply = new Promise<ProducerLine>((resolve) => this.waiting.set(id, resolve));
    this.child.stdin?.write(`produce ${id} ${Math.round(records)} ${ratePerSecond ?? 0}\n`);
    const line = await reply;
    if (line.type !== 'produced') throw new Error(`the Java producer: ${JSON.stringify(line)}`);
    this.pool.addTo(this.totals, this.produced, line.sent);
    this.produced += line.sent;
    return {
      sent: line.sent,
      startedAt: line.startedAt,
      endedAt: line.endedAt,
      rate: (1000 * line.sent) / Math.max(1, line.endedAt - line.startedAt),
    };
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await rm(this.dir, { recursive: true, force: true });
  }
}
