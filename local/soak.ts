import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { migrate } from '../db/migrate.js';
import { optionalEnv } from '../lambda/adapters/env.js';
import { HISTOGRAM_BUCKET_MS } from '../lambda/domain/aggregate.js';
import { seededRandom } from '../lambda/domain/generator.js';
import type { ProducerSummary } from '../lambda/producer/handler.js';
import { runScript } from './child-process.js';
import type { FaultPoint } from './esm/emulator.js';
import { numberFlag } from './flags.js';
import { createTopic, type KafkaBroker, startKafkaBroker } from './kafka/broker.js';
import { type LocalPostgres, startEmbeddedPostgres } from './postgres/embedded.js';
import { PARTITIONS } from './services.js';
import { readTopicContents } from './topic-truth.js';
import { diffTotals, producedTotals, readFlowTotals, readPositions } from './totals.js';

const usage = `npm run soak -- [options]
Runs the pipeline for a long time under faults, then proves its totals exact: a producer at a steady rate;
the consumer (\`npm start -- --no-produce\`) killed with SIGKILL at random moments and at random fault points,
and restarted; the database stopped once for a while and started again. At the end the open positions and
the transaction_flow sums must equal, to the cent, what the producer had acknowledged and what the topic
holds when read back.
  --duration <s>       seconds of production (default 600)
  --rate <msg/s>       deals per second (default 1000)
  --kill-every <s>     mean seconds between consumer kills (default 40; each is random in 0.5x..1.5x; 0: none)
  --db-outage <s>      seconds the database is down, once (default 15; 0: no outage)
  --db-outage-at <s>   when the outage begins (default: a random moment between 35% and 65% of the run)
  --batch-size <n>     records per invocation at most (default 10000)
  --window <s>         batching window (default 2)
  --drain-timeout <s>  how long the consumer may take to catch up after production (default 300)
  --seed <n>           the random choices of the run (default: a new one, printed)
  --quiet              print only the summary
Environment: KAFKA_BROKERS uses that cluster (on a new topic, or TOPIC) instead of an embedded broker. The
database is always an embedded PostgreSQL of the soak's own, because the soak restarts it.`;

export interface SoakOptions {
  readonly durationSeconds: number;
  readonly ratePerSecond: number;
  readonly killEverySeconds: number;
  readonly dbOutageSeconds: number;
  readonly dbOutageAtSeconds: number | undefined;
  readonly batchSize: number;
  readonly windowSeconds: number;
  readonly drainTimeoutSeconds: number;
  readonly seed: number;
  readonly quiet: boolean;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const FAULT_POINTS: readonly FaultPoint[] = ['before-invoke', 'after-invoke-before-commit', 'after-commit'];
const SAMPLE_EVERY_MS = 2_000;
const STATUS_EVERY_MS = 10_000;
// The schedule in AWS fires the producer once a minute; so does the soak.
const PRODUCER_RUN_SECONDS = 60;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One "retrying" line a consumer printed (see local/pipeline.ts onRetry). */
interface Retry {
  readonly at: number;
  readonly partition: number;
  readonly attempt: number;
  readonly delayMs: number;
}

const RETRY_LINE =
  /batch of partition (\d+) from offset \d+ failed \(attempt (\d+)\): .*; retrying in (\d+) ms/;

/** How a consumer process is to die: at an ESM fault point, by an external SIGKILL, or not at all. */
type Plan =
  | { readonly kind: 'fault'; readonly point: FaultPoint; readonly invocation: number }
  | { readonly kind: 'timer'; readonly afterMs: number }
  | { readonly kind: 'none' };

/**
 * Runs `npm start -- --no-produce` consumer processes one after the other, each armed to die: SIGKILL
 * at an ESM fault point of a random invocation (ESM_FAULT), or from outside at a random moment. A
 * consumer that exits by itself (it cannot start while the database is down) is started again with
 * backoff. calm() holds the kills (for the database outage and the drain); chaos() resumes them.
 */
class ConsumerChaos {
  readonly kills = new Map<string, number>();
  readonly retries: Retry[] = [];
  readonly selfExits: string[] = [];
  starts = 0;
  private child: ChildProcess | undefined;
  private childStartedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private mode: 'chaos' | 'calm' = 'chaos';
  private finishing = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly args: readonly string[],
    private readonly env: Readonly<Record<string, string>>,
    private readonly random: () => number,
    private readonly options: SoakOptions,
    private readonly print: (line: string) => void,
  ) {
    this.loop = this.run();
  }

  get killCount(): number {
    return [...this.kills.values()].reduce((sum, n) => sum + n, 0);
  }

  /** Holds the kills; resolves once a consumer that will not kill itself is running since `minUpMs`. */
  async calm(minUpMs: number): Promise<void> {
    this.mode = 'calm';
    clearTimeout(this.timer);
    // A consumer armed with a timer is simply disarmed; one armed with ESM_FAULT cannot be: kill it now.
    if (this.current === 'timer') this.current = 'none';
    if (this.current === 'fault') this.killNow('external SIGKILL');
    while (!(this.child && this.current === 'none' && Date.now() - this.childStartedAt >= minUpMs)) {
      await sleep(200);
    }
  }

  /** Resumes the kills: the running consumer is given a random moment to die. */
  chaos(): void {
    this.mode = 'chaos';
    if (this.child && this.current === 'none' && this.options.killEverySeconds > 0) {
      this.armTimer(this.randomLifetimeMs());
    }
  }

  /** Stops the running consumer (SIGINT: it finishes its batches) and starts no more. */
  async finish(): Promise<void> {
    this.finishing = true;
    clearTimeout(this.timer);
    this.child?.kill('SIGINT');
    await this.loop;
  }

  private current: Plan['kind'] = 'none';

  private randomLifetimeMs(): number {
    return Math.round(this.options.killEverySeconds * 1000 * (0.5 + this.random()));
  }

  private plan(): Plan {
    if (this.mode === 'calm' || this.options.killEverySeconds <= 0) return { kind: 'none' };
    if (this.random() < 0.5) return { kind: 'timer', afterMs: this.randomLifetimeMs() };
    // One invocation per partition per window: pick one within about one kill interval.
    const perSecond = PARTITIONS / Math.max(this.options.windowSeconds, 0.1);
    const span = Math.max(1, Math.round(this.options.killEverySeconds * perSecond * (0.5 + this.random())));
    const point = FAULT_POINTS[Math.floor(this.random() * FAULT_POINTS.length)] ?? 'before-invoke';
    return { kind: 'fault', point, invocation: 1 + Math.floor(this.random() * span) };
  }

  private armTimer(afterMs: number): void {
    clearTimeout(this.timer);
    this.current = 'timer';
    this.timer = setTimeout(() => this.killNow('external SIGKILL'), afterMs);
  }

  private killedAs: string | undefined;

  private killNow(kind: string): void {
    if (!this.child || this.killedAs) return;
    this.killedAs = kind;
    this.child.kill('SIGKILL');
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.finishing) {
      const plan = this.plan();
      const env: Record<string, string> = { ...this.env };
      if (plan.kind === 'fault') env.ESM_FAULT = `${plan.point}:${plan.invocation}`;
      const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', ...this.args], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      this.childStartedAt = Date.now();
      this.killedAs = undefined;
      this.current = plan.kind;
      this.starts++;
      if (plan.kind === 'timer') this.armTimer(plan.afterMs);
      let output = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const lines = output.split('\n');
        output = lines.pop() ?? '';
        for (const line of lines) this.read(line);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      clearTimeout(this.timer);
      this.child = undefined;
      if (output) this.read(output);
      const upSeconds = ((Date.now() - this.childStartedAt) / 1000).toFixed(1);
      let restartInMs = 200;
      if (this.killedAs) {
        this.count(this.killedAs);
        failures = 0;
      } else if (exit.signal === 'SIGKILL' && plan.kind === 'fault') {
        this.count(plan.point);
        failures = 0;
      } else if (!this.finishing) {
        this.selfExits.push(`exit ${exit.signal ?? exit.code} after ${upSeconds} s`);
        restartInMs = Math.min(8_000, 500 * 2 ** failures++);
      }
      if (!this.finishing) {
        this.print(
          `consumer ${this.starts} ${this.killedAs ?? (exit.signal === 'SIGKILL' && plan.kind === 'fault' ? `killed at ${plan.point} of invocation ${plan.invocation}` : `exited (${exit.signal ?? exit.code})`)} after ${upSeconds} s; restarting`,
        );
        await sleep(restartInMs);
      }
    }
  }

  private count(kind: string): void {
    this.kills.set(kind, (this.kills.get(kind) ?? 0) + 1);
  }

  private read(line: string): void {
    const retry = RETRY_LINE.exec(line);
    if (retry) {
      this.retries.push({
        at: Date.now(),
        partition: Number(retry[1]),
        attempt: Number(retry[2]),
        delayMs: Number(retry[3]),
      });
    } else if (/MISMATCH|error:/.test(line)) {
      this.print(`consumer: ${line}`);
    }
  }
}

/** Records in the topic and the group's lag behind them. */
async function lagOf(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<{ inTopic: number; lag: number }> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  let inTopic = 0;
  let lag = 0;
  for (const end of ends) {
    const next = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
    inTopic += Number(end.high);
    lag += Number(end.high) - Math.max(next, Number(end.low));
  }
  return { inTopic, lag };
}

/** Produce-to-commit latency percentiles, from the 5 ms histograms of record times in applied_batch. */
async function latencyPercentiles(
  db: pg.Client,
): Promise<{ p50: number; p99: number; p999: number; max: number } | undefined> {
  const rows = await db.query<{ base_ms: number; histogram: number[] }>(
    `SELECT extract(epoch FROM committed_at - first_record_time) * 1000 AS base_ms,
            record_time_histogram AS histogram
     FROM applied_batch WHERE first_record_time IS NOT NULL`,
  );
  const counts = new Map<number, number>();
  let total = 0;
  for (const row of rows.rows) {
    row.histogram.forEach((n, bucket) => {
      if (n === 0) return;
      // A record in bucket i was stamped within [first + 5i, first + 5i + 5) ms: take the middle.
      const latency = Math.max(0, Math.round(Number(row.base_ms) - bucket * HISTOGRAM_BUCKET_MS - 2.5));
      counts.set(latency, (counts.get(latency) ?? 0) + n);
      total += n;
    });
  }
  if (total === 0) return undefined;
  const sorted = [...counts].sort((a, b) => a[0] - b[0]);
  const at = (q: number) => {
    let seen = 0;
    for (const [latency, n] of sorted) {
      seen += n;
      if (seen >= q * total) return latency;
    }
    return sorted[sorted.length - 1]?.[0] ?? 0;
  };
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: sorted[sorted.length - 1]?.[0] ?? 0 };
}

const number = (n: number) => n.toLocaleString('en-US');
const cents = (c: bigint) => {
  const negative = c < 0n;
  const abs = negative ? -c : c;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};

/** Runs the soak; resolves to the exit code: 0 when every total is exact. */
export async function runSoak(options: SoakOptions, print: (line: string) => void): Promise<number> {
  const random = seededRandom(options.seed);
  const say = options.quiet ? () => undefined : print;
  const hex = randomBytes(4).toString('hex');
  const givenBrokers = optionalEnv(process.env, 'KAFKA_BROKERS');
  const topic = optionalEnv(process.env, 'TOPIC') ?? `soak-${hex}`;
  const groupId = `soak-${hex}-aggregator`;
  say(`soak: seed ${options.seed}, topic ${topic}, group ${groupId}`);

  let broker: KafkaBroker | undefined;
  let database: LocalPostgres | undefined;
  let chaos: ConsumerChaos | undefined;
  let admin: Admin | undefined;
  let producer: typeof import('../lambda/producer/handler.js') | undefined;
  try {
    [broker, database] = await Promise.all([
      givenBrokers ? undefined : startKafkaBroker({ log: say }),
      startEmbeddedPostgres({ restartable: true }),
    ]);
    const brokers = givenBrokers?.split(',').map((b) => b.trim()) ?? broker?.brokers ?? [];
    await createTopic(brokers, topic, PARTITIONS);
    const setup = new pg.Client({ connectionString: database.url });
    await setup.connect();
    await migrate(setup).finally(() => setup.end());

    // The producer Lambda's own handler, in this process; it reads its configuration at load.
    process.env.KAFKA_BROKERS = brokers.join(',');
    process.env.TOPIC = topic;
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
    await waitForProducerIds(brokers);
    producer = await import('../lambda/producer/handler.js');
    const kafka = new Kafka({ clientId: 'soak', brokers: [...brokers], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();

    const startedAt = Date.now();
    const elapsed = () => (Date.now() - startedAt) / 1000;
    chaos = new ConsumerChaos(
      [
        '--no-produce',
        '--quiet',
        '--group',
        groupId,
        '--batch-size',
        String(options.batchSize),
        '--window',
        String(options.windowSeconds),
      ],
      { KAFKA_BROKERS: brokers.join(','), DATABASE_URL: database.url, TOPIC: topic },
      random,
      options,
      (line) => say(`[${elapsed().toFixed(0)}s] ${line}`),
    );

    let maxLag = 0;
    let produced = 0;
    let productionEndedAt: number | undefined;
    let caughtUpAt: number | undefined;
    const sampler = setInterval(() => {
      void lagOf(admin as Admin, topic, groupId)
        .then((now) => {
          maxLag = Math.max(maxLag, now.lag);
          produced = now.inTopic;
          if (productionEndedAt !== undefined && now.lag === 0) caughtUpAt ??= Date.now();
        })
        .catch(() => undefined);
    }, SAMPLE_EVERY_MS);
    const status = setInterval(() => {
      say(
        `[${elapsed().toFixed(0)}s] in topic ${number(produced)} · max lag ${number(maxLag)} · kills ${chaos?.killCount} · ` +
          `retries ${chaos?.retries.length}`,
      );
    }, STATUS_EVERY_MS);

    // The database outage, once, in the middle of the run, while a consumer is up and applying.
    const outageAt = options.dbOutageAtSeconds ?? options.durationSeconds * (0.35 + 0.3 * random());
    const outage: { from?: number; to?: number; retriesBefore: number; retriesAfter: number } = {
      retriesBefore: 0,
      retriesAfter: 0,
    };
    const outageDone = (async () => {
      if (options.dbOutageSeconds <= 0) return;
      while (elapsed() < outageAt) await sleep(200);
      // Up long enough to be past its group join: the outage must meet a consumer that is applying.
      await chaos?.calm(15_000);
      outage.retriesBefore = chaos?.retries.length ?? 0;
      outage.from = Date.now();
      say(`[${elapsed().toFixed(0)}s] database stopped for ${options.dbOutageSeconds} s`);
      await database?.stopServer();
      await sleep(options.dbOutageSeconds * 1000);
      await database?.startServer();
      outage.to = Date.now();
      say(`[${elapsed().toFixed(0)}s] database started again`);
      // Count the retries the outage caused, until the consumer is through its backoff: a backoff that
      // doubles is at most as long as the outage was (and at most 15 s).
      await sleep(Math.min(options.dbOutageSeconds + 1, 16) * 1000);
      outage.retriesAfter = chaos?.retries.length ?? 0;
      chaos?.chaos();
    })();

    const summaries: ProducerSummary[] = [];
    const producerFailures: string[] = [];
    const endAt = startedAt + options.durationSeconds * 1000;
    while (Date.now() < endAt) {
      const runStart = Date.now();
      const durationSeconds = Math.min(PRODUCER_RUN_SECONDS, (endAt - runStart) / 1000);
      if (durationSeconds < 0.1) break;
      try {
        summaries.push(await producer.handler({ durationSeconds, ratePerSecond: options.ratePerSecond }));
      } catch (error) {
        producerFailures.push((error as Error).message);
        say(`producer invocation failed: ${(error as Error).message}`);
      }
    }
    const producedFor = elapsed();
    productionEndedAt = Date.now();
    await outageDone;

    // Drain: no more kills; wait until the group and the database stand at the topic's end.
    await chaos.calm(0);
    let drained = false;
    while (Date.now() - productionEndedAt < options.drainTimeoutSeconds * 1000) {
      const now = await lagOf(admin, topic, groupId).catch(() => undefined);
      if (now && now.lag === 0) {
        caughtUpAt ??= Date.now();
        drained = true;
        break;
      }
      await sleep(500);
    }
    const drainSeconds = ((caughtUpAt ?? Date.now()) - productionEndedAt) / 1000;
    clearInterval(sampler);
    clearInterval(status);
    await chaos.finish();
    // The last consumer: waits a second, finds nothing left, checks flow sums against positions, exits 0.
    const last = await runScript(
      'local/cli.ts',
      [
        '--no-produce',
        '--quiet',
        '--duration',
        '1',
        '--group',
        groupId,
        '--batch-size',
        String(options.batchSize),
        '--window',
        String(options.windowSeconds),
      ],
      { env: { KAFKA_BROKERS: brokers.join(','), DATABASE_URL: database.url, TOPIC: topic } },
    );

    // The proof.
    const contents = await readTopicContents(kafka, topic);
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    try {
      const positions = await readPositions(db);
      const flows = await readFlowTotals(db);
      const acknowledged = producedTotals(summaries);
      const acknowledgedCount = summaries.reduce((sum, s) => sum + s.sent, 0);
      const facts = (
        await db.query<{
          batches: number;
          records: string;
          rejected: number;
          gaps: number;
          checkpoints: { partition: number; next: number }[] | null;
        }>(
          `SELECT (SELECT count(*)::int FROM applied_batch) AS batches,
                  (SELECT coalesce(sum(record_count), 0)::text FROM applied_batch) AS records,
                  (SELECT count(*)::int FROM rejected_transaction) AS rejected,
                  (SELECT count(*)::int FROM offset_gap) AS gaps,
                  (SELECT json_agg(json_build_object('partition', kafka_partition, 'next', next_offset))
                     FROM partition_checkpoint WHERE topic = $1) AS checkpoints`,
          [topic],
        )
      ).rows[0];
      const latency = await latencyPercentiles(db);
      const problems = [
        ...diffTotals(contents.truth, positions, 'topic', 'currency_position'),
        ...diffTotals(contents.truth, flows, 'topic', 'transaction_flow'),
      ];
      if (producerFailures.length === 0) {
        problems.push(...diffTotals(acknowledged, contents.truth, 'acknowledged', 'topic'));
      }
      if (contents.duplicateIds.length > 0)
        problems.push(`${contents.duplicateIds.length} deals twice in the topic`);
      if (contents.notDeals > 0) problems.push(`${contents.notDeals} records in the topic are not deals`);
      if (facts?.gaps) problems.push(`${facts.gaps} offset gaps recorded`);
      if (Number(facts?.records) !== contents.records) {
        problems.push(
          `applied batches counted ${facts?.records} records, the topic holds ${contents.records}`,
        );
      }
      for (const [partition, end] of contents.ends) {
        const next = facts?.checkpoints?.find((c) => c.partition === partition)?.next ?? 0;
        if (end > 0 && Number(next) !== end)
          problems.push(`partition ${partition}: checkpoint ${next}, end ${end}`);
      }
      if (!drained) problems.push(`not drained within ${options.drainTimeoutSeconds} s`);
      if (last.code !== 0) problems.push(`the last consumer exited with ${last.code}:\n${last.output}`);

      const outageRetries = outage.retriesAfter - outage.retriesBefore;
      const outageList = chaos.retries.slice(outage.retriesBefore, outage.retriesAfter);
      const sumCents = [...contents.truth.values()].reduce((sum, cell) => sum + cell.sum, 0n);
      const kills = [...chaos.kills].map(([kind, n]) => `${kind} ${n}`).join(', ') || 'none';
      const exact = problems.length === 0;
      print('');
      print('soak summary');
      print(
        `  run              ${producedFor.toFixed(0)} s of production at ${number(options.ratePerSecond)} msg/s, seed ${options.seed}`,
      );
      print(
        `  produced         ${number(acknowledgedCount)} deals acknowledged (${(acknowledgedCount / producedFor).toFixed(0)}/s); ` +
          `topic read back: ${number(contents.records)} records, ${contents.duplicateIds.length} duplicate ids` +
          (producerFailures.length > 0 ? `; ${producerFailures.length} producer invocations failed` : ''),
      );
      print(
        `  applied          ${number(Number(facts?.records ?? 0))} records in ${number(facts?.batches ?? 0)} batches; ` +
          `${facts?.rejected ?? 0} rejected; ${facts?.gaps ?? 0} offset gaps`,
      );
      print(
        `  consumer kills   ${chaos.killCount} (${kills}); ${chaos.starts} consumer starts; ` +
          `${chaos.selfExits.length} exited by themselves${chaos.selfExits.length ? ` (${chaos.selfExits.join('; ')})` : ''}`,
      );
      print(
        outage.from && outage.to
          ? `  database outage  ${((outage.to - outage.from) / 1000).toFixed(1)} s at ${((outage.from - startedAt) / 1000).toFixed(0)} s; ` +
              `${outageRetries} batch retries (max attempt ${Math.max(0, ...outageList.map((r) => r.attempt))}, ` +
              `backoff up to ${Math.max(0, ...outageList.map((r) => r.delayMs))} ms)`
          : '  database outage  none',
      );
      print(`  retries in all   ${chaos.retries.length}`);
      print(
        `  lag              max ${number(maxLag)} records; caught up ${drainSeconds.toFixed(1)} s after production ended`,
      );
      if (latency) {
        print(
          `  latency          produce to commit p50 ${latency.p50} ms, p99 ${latency.p99} ms, p99.9 ${latency.p999} ms, max ${latency.max} ms`,
        );
      }
      print(
        `  exact            ${exact ? 'YES' : 'NO'}: currency_position = transaction_flow sums = topic${producerFailures.length === 0 ? ' = acknowledged' : ''} ` +
          `(${contents.truth.size} branch × currency cells, ${number(contents.records)} deals, net ${cents(sumCents)})`,
      );
      for (const problem of problems) print(`  MISMATCH ${problem}`);
      print(
        `soak result: ${JSON.stringify({
          exact,
          seconds: Math.round(producedFor),
          rate: options.ratePerSecond,
          acknowledged: acknowledgedCount,
          topicRecords: contents.records,
          duplicateIds: contents.duplicateIds.length,
          batches: facts?.batches,
          kills: Object.fromEntries(chaos.kills),
          consumerStarts: chaos.starts,
          outageSeconds: outage.from && outage.to ? (outage.to - outage.from) / 1000 : 0,
          outageRetries,
          outageMaxAttempt: Math.max(0, ...outageList.map((r) => r.attempt)),
          retries: chaos.retries.length,
          maxLag,
          drainSeconds,
          latencyMs: latency,
        })}`,
      );
      return exact ? 0 : 1;
    } finally {
      await db.end();
    }
  } finally {
    await chaos?.finish().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await database?.stop().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
  }
}

/**
 * A new broker loads its transaction coordinator (which hands out idempotent producer ids) a moment
 * after it answers: waiting for it here keeps the producer's first request from logging an error.
 */
async function waitForProducerIds(brokers: readonly string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'soak-setup', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.disconnect();
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      'kill-every': { type: 'string' },
      'db-outage': { type: 'string' },
      'db-outage-at': { type: 'string' },
      'batch-size': { type: 'string' },
      window: { type: 'string' },
      'drain-timeout': { type: 'string' },
      seed: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const durationSeconds = numberFlag('duration', values.duration, 600, 5, 86_400);
  return runSoak(
    {
      durationSeconds,
      ratePerSecond: numberFlag('rate', values.rate, 1_000, 1, 100_000),
      killEverySeconds: numberFlag('kill-every', values['kill-every'], 40, 0, 86_400),
      dbOutageSeconds: numberFlag('db-outage', values['db-outage'], 15, 0, 3_600),
      dbOutageAtSeconds:
        values['db-outage-at'] === undefined
          ? undefined
          : numberFlag('db-outage-at', values['db-outage-at'], 0, 0, durationSeconds),
      batchSize: Math.floor(numberFlag('batch-size', values['batch-size'], 10_000, 1, 10_000)),
      windowSeconds: numberFlag('window', values.window, 2, 0, 300),
      drainTimeoutSeconds: numberFlag('drain-timeout', values['drain-timeout'], 300, 10, 86_400),
      seed: Math.floor(numberFlag('seed', values.seed, randomInt(2 ** 31), 0, 2 ** 31)),
      quiet: values.quiet,
    },
    (line) => console.log(line),
  );
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? `error: ${error.stack ?? error.message}` : error);
    process.exit(1);
  },
);
