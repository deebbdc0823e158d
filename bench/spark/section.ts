/**
 * Benchmark section 4 (issue 5): the peer, in the same run. The tutorial's own design — Spark
 * Structured Streaming in local mode, trigger 2 s, foreachBatch writing per-batch sums per branch ×
 * currency to PostgreSQL over JDBC — reading the same topic fed by the same producers with the same
 * seeds, put through the same steps as our pipeline (bench/e2e.ts), and set beside it.
 *
 *   npx tsx bench/spark.ts [--quick]      prints the section's markdown
 *
 * The job (bench/peers/spark) is built once with Maven into .cache/spark-peer/ (git-ignored); Spark's
 * jars come from Maven Central (about 225 MB).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { parseCents } from '../lambda/domain/money.js';
import { diffTotals, type Totals } from '../local/totals.js';
import {
  BENCH_TOPIC,
  type BenchServices,
  benchPlan,
  consumerCost,
  cpuLabeller,
  drainSentence,
  endToEndFigures,
  formatCount,
  latencyAt,
  latencyTable,
  latestEndToEndMeasurement,
  limitNote,
  machineDescription,
  measureEndToEnd,
  measureSystem,
  noiseNote,
  ProducerFleet,
  type SectionOptions,
  type SectionResult,
  type StreamingSystem,
  type SystemMeasurement,
  startBenchServices,
  stepsTable,
  WINDOW_MS,
} from './e2e.js';

/** Issue 5's target: at least this many times Spark's sustained rate, at an equal or better p99. */
export const TARGET_THROUGHPUT_RATIO = 3;

const SPARK_VERSION = '3.5.7';
const projectDir = fileURLToPath(new URL('./peers/spark/', import.meta.url));
const pomPath = join(projectDir, 'pom.xml');
const cacheDir = fileURLToPath(new URL('../.cache/spark-peer/', import.meta.url));
const libDir = join(cacheDir, 'lib');
const classesDir = join(cacheDir, 'target', 'classes');
// Holds a hash of the job's sources and pom: a change rebuilds, an interrupted build is redone.
const builtMarker = join(cacheDir, 'built');
const sourceFiles = [
  pomPath,
  join(projectDir, 'src/main/java/treasury/bench/SparkPeer.java'),
  join(projectDir, 'src/main/resources/log4j2.properties'),
];
const execFileAsync = promisify(execFile);

// Spark 3.5 on Java 17 reaches into JDK internals; these are the flags its own launcher adds
// (org.apache.spark.launcher.JavaModuleOptions).
const SPARK_JAVA17_FLAGS = [
  '-XX:+IgnoreUnrecognizedVMOptions',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.invoke=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent=ALL-UNNAMED',
  '--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.cs=ALL-UNNAMED',
  '--add-opens=java.base/sun.security.action=ALL-UNNAMED',
  '--add-opens=java.base/sun.util.calendar=ALL-UNNAMED',
  '-Djdk.reflect.useDirectMethodHandle=false',
  '-Dio.netty.tryReflectionSetAccessible=true',
];
const SPARK_HEAP = '-Xmx2g';

/**
 * Builds the job once (and again when its sources change): `mvn package` and its runtime classpath
 * copied from Maven Central. Returns the classpath.
 */
export async function ensureSparkPeerBuilt(log: (line: string) => void): Promise<string> {
  const hash = createHash('sha256');
  for (const file of sourceFiles) hash.update(await readFile(file));
  const digest = hash.digest('hex');
  const classpath = `${classesDir}:${join(libDir, '*')}`;
  if ((await readFile(builtMarker, 'utf8').catch(() => '')).trim() === digest) return classpath;
  log(`Building the Spark peer (Spark ${SPARK_VERSION}; first time: about 225 MB from Maven Central)`);
  await mkdir(cacheDir, { recursive: true });
  await rm(builtMarker, { force: true });
  await rm(libDir, { recursive: true, force: true });
  await run('mvn', [
    '-q',
    '-B',
    '-Dstyle.color=never',
    '-f',
    pomPath,
    'package',
    'dependency:copy-dependencies',
    `-DoutputDirectory=${libDir}`,
    '-DincludeScope=runtime',
  ]);
  await writeFile(builtMarker, digest);
  return classpath;
}

async function run(command: string, args: readonly string[]): Promise<void> {
  try {
    await execFileAsync(command, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const failed = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failed.code === 'ENOENT') {
      throw new Error(`\`${command}\` is not on PATH: the Spark peer needs Java 17 and Maven`);
    }
    const output = `${failed.stdout ?? ''}${failed.stderr ?? ''}`.trimEnd().split('\n').slice(-30).join('\n');
    throw new Error(`\`${command} ${args.join(' ')}\` failed:\n${output}`);
  }
}

/**
 * The peer's tables, beside ours in the same database: per batch when it was written and its records'
 * timestamps (the same columns the benchmark reads from applied_batch), and the tutorial's
 * transaction_flow rows. Bench-only, so created here rather than by a migration.
 */
const SPARK_SCHEMA = `
CREATE SCHEMA IF NOT EXISTS spark_peer;
CREATE TABLE IF NOT EXISTS spark_peer.applied_batch (
  spark_batch_id        bigint PRIMARY KEY,
  committed_at          timestamptz NOT NULL,
  record_count          integer NOT NULL,
  unparsed_count        integer NOT NULL,
  first_record_time     timestamptz NOT NULL,
  last_record_time      timestamptz NOT NULL,
  record_time_histogram integer[] NOT NULL
);
CREATE TABLE IF NOT EXISTS spark_peer.transaction_flow (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  spark_batch_id bigint NOT NULL REFERENCES spark_peer.applied_batch (spark_batch_id),
  curr_time      timestamptz NOT NULL,
  branch_name    text NOT NULL,
  currency_code  char(3) NOT NULL,
  batch_value    numeric(24, 2) NOT NULL,
  tx_count       integer NOT NULL
);
`;

type SparkEvent =
  | { readonly event: 'started'; readonly at: number }
  | { readonly event: 'batch'; readonly batchId: number; readonly records: number; readonly ms: number }
  | { readonly event: 'failed' | 'stop-failed'; readonly message: string }
  | { readonly event: 'stopped' };

/** The Spark job in a JVM of its own, local[2]. */
class SparkPeerSystem implements StreamingSystem {
  readonly name = 'Spark';
  readonly cpuRole = 'Spark (local mode)';
  readonly batchTable = 'spark_peer.applied_batch';
  private child: ChildProcess | undefined;
  private checkpointDir: string | undefined;
  private readonly recentOutput: string[] = [];
  private exited: string | undefined;
  private stopping = false;

  constructor(
    private readonly classpath: string,
    private readonly services: BenchServices,
    private readonly log: (line: string) => void,
  ) {}

  async start(): Promise<number> {
    const url = new URL(this.services.databaseUrl);
    this.checkpointDir = await mkdtemp(join(tmpdir(), 'spark-peer-checkpoint-'));
    const child = spawn(
      'java',
      [...SPARK_JAVA17_FLAGS, SPARK_HEAP, '-cp', this.classpath, 'treasury.bench.SparkPeer'],
      {
        env: {
          ...process.env,
          KAFKA_BROKERS: this.services.brokers.join(','),
          TOPIC: BENCH_TOPIC,
          JDBC_URL: `jdbc:postgresql://${url.host}${url.pathname}`,
          JDBC_USER: decodeURIComponent(url.username),
          JDBC_PASSWORD: decodeURIComponent(url.password),
          CHECKPOINT_DIR: join(this.checkpointDir, 'checkpoint'),
          TRIGGER_MS: String(WINDOW_MS),
          // The VM's hostname resolves to a loopback address, which Spark warns about at every start.
          SPARK_LOCAL_IP: '127.0.0.1',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    this.stopping = false;
    child.once('exit', (code, signal) => {
      if (!this.stopping) {
        this.exited = `Spark exited (${signal ?? `code ${code}`}):\n${this.recentOutput.slice(-15).join('\n')}`;
      }
    });
    if (!child.stdout || !child.stderr) throw new Error('Spark: no stdout/stderr pipes');
    const events: ((event: SparkEvent) => void)[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.remember(line);
      let event: SparkEvent;
      try {
        event = JSON.parse(line) as SparkEvent;
      } catch {
        return;
      }
      if (event.event === 'failed' || event.event === 'stop-failed') this.log(`spark: ${event.message}`);
      for (const listener of events) listener(event);
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.remember(line);
      if (/\b(WARN|ERROR)\b/.test(line)) this.log(`spark: ${line}`);
    });
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`Spark did not start its query within 180 s:\n${this.recentOutput.join('\n')}`));
      }, 180_000);
      events.push((event) => {
        if (event.event === 'started') {
          clearTimeout(timer);
          resolve(event.at);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `Spark exited (${signal ?? `code ${code}`}) before its query started:\n${this.recentOutput.join('\n')}`,
          ),
        );
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Spark could not be started: ${error.message}`));
      });
    });
  }

  private remember(line: string): void {
    this.recentOutput.push(line);
    if (this.recentOutput.length > 40) this.recentOutput.shift();
  }

  /** Closing stdin stops the query (the job watches it); SIGKILL if it has not gone in 60 s. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.stopping = true;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    if (this.checkpointDir) await rm(this.checkpointDir, { recursive: true, force: true });
    this.checkpointDir = undefined;
  }

  processIds(): readonly number[] {
    return this.child?.pid === undefined ? [] : [this.child.pid];
  }

  failure(): string | undefined {
    return this.exited;
  }

  async verify(db: pg.Client, truth: Totals): Promise<string[]> {
    const result = await db.query<{ branch: string; currency: string; sum: string; count: string }>(
      `SELECT branch_name AS branch, currency_code AS currency, sum(batch_value)::text AS sum, sum(tx_count)::text AS count
       FROM spark_peer.transaction_flow GROUP BY 1, 2`,
    );
    const flows: Totals = new Map(
      result.rows.map((row) => [
        `${row.branch}|${row.currency.trim()}`,
        { sum: parseCents(row.sum), count: Number(row.count) },
      ]),
    );
    return diffTotals(truth, flows, 'produced', 'spark_peer.transaction_flow');
  }
}

/** Spark through the same steps as our pipeline, on a broker and a database of its own. */
async function measureSpark(options: SectionOptions, classpath: string): Promise<SystemMeasurement> {
  const { log } = options;
  const plan = benchPlan(options.quick);
  const services = await startBenchServices(log);
  let fleet: ProducerFleet | undefined;
  const db = new pg.Client({ connectionString: services.databaseUrl });
  try {
    await db.connect();
    await db.query(SPARK_SCHEMA);
    fleet = await ProducerFleet.start(plan.producers, services.brokers, BENCH_TOPIC);
    const system = new SparkPeerSystem(classpath, services, log);
    return await measureSystem(system, { db, fleet, plan, log, cpuLabel: cpuLabeller(fleet, system) });
  } finally {
    await fleet?.stop();
    await db.end().catch(() => undefined);
    await services.stop();
  }
}

/** `openjdk version "17.0.15" …` → `Java 17.0.15`. */
async function javaVersion(): Promise<string> {
  const { stderr } = await execFileAsync('java', ['-version']);
  const version = /version "([^"]+)"/.exec(stderr)?.[1];
  return version ? `Java ${version}` : 'Java (version unknown)';
}

function ratio(ours: number | undefined, theirs: number | undefined): number | undefined {
  return ours === undefined || theirs === undefined || theirs === 0 ? undefined : ours / theirs;
}

function times(value: number | undefined): string {
  return value === undefined ? '–' : `${value.toFixed(1)}×`;
}

/** "p99 2.1× lower" when ours is below theirs, "p99 1.2× higher" when above. */
function compare(
  ours: number | undefined,
  theirs: number | undefined,
  what: string,
  below: string,
  above: string,
): string {
  if (ours === undefined || theirs === undefined || ours <= 0 || theirs <= 0) return '–';
  return ours <= theirs
    ? `${what} ${times(theirs / ours)} ${below}`
    : `${what} ${times(ours / theirs)} ${above}`;
}

/** What bounded each system's sustained rate: its own consumer, or the producers beside it. */
function boundBy(m: SystemMeasurement): 'producers' | 'consumer' | undefined {
  const sustained = m.sustainedRate ?? 0;
  return m.steps
    .filter((step) => !step.verdict.sustained && step.offeredRate > sustained)
    .sort((a, b) => a.offeredRate - b.offeredRate)[0]?.verdict.limitedBy;
}

function comparisonNote(ours: SystemMeasurement, spark: SystemMeasurement): string {
  const note: string[] = [];
  if (boundBy(ours) === 'producers' || boundBy(spark) === 'producers') {
    note.push(
      'On two shared cores the producers (kafkajs, in processes of their own) take more CPU than either consumer, ' +
        'so a sustained rate bounded by "the producers offered only …" measures the machine, not the consumer; ' +
        'the consumers themselves compare by their CPU per record and by how fast they catch up alone.',
    );
  }
  note.push(
    "Our consumer process is the ESM emulator (a kafkajs consumer that fetches, decompresses and decodes the records and re-encodes them as an MSK event) as well as the handler: in AWS the event source mapping does the emulator's part outside the function.",
  );
  return note.join(' ');
}

function ms(value: number | undefined): string {
  return value === undefined ? '–' : formatCount(value);
}

function sideBySideMarkdown(
  ours: SystemMeasurement,
  spark: SystemMeasurement,
  quick: boolean,
  javaVersion: string,
): string {
  const throughputRatio = ratio(ours.sustainedRate, spark.sustainedRate);
  const rows = [
    `| highest sustained rate, records/s | ${ms(ours.sustainedRate)} | ${ms(spark.sustainedRate)} | ${times(throughputRatio)} |`,
    `| catching up on ${formatCount(ours.preloadRecords)} preloaded records from a cold start, records/s | ${formatCount(ours.drainRate)} | ${formatCount(spark.drainRate)} | ${times(ratio(ours.drainRate, spark.drainRate))} |`,
  ];
  for (const fraction of [0.1, 0.5, 0.8]) {
    const a = latencyAt(ours, fraction);
    const b = latencyAt(spark, fraction);
    const load = `${Math.round(fraction * 100)} %`;
    rows.push(
      `| p50 / p99 ms at ${load} of each one's sustained rate | ${ms(a?.p50Ms)} / ${ms(a?.p99Ms)} (at ${ms(a?.offeredRate)}/s) | ${ms(b?.p50Ms)} / ${ms(b?.p99Ms)} (at ${ms(b?.offeredRate)}/s) | ${compare(a?.p99Ms, b?.p99Ms, 'p99', 'lower', 'higher')} |`,
    );
  }
  const ourCost = consumerCost(ours);
  const sparkCost = consumerCost(spark);
  rows.push(
    `| consumer CPU per 1,000 records at 80 % load, ms | ${ourCost?.toFixed(1) ?? '–'} | ${sparkCost?.toFixed(1) ?? '–'} | ${compare(ourCost, sparkCost, 'CPU', 'less', 'more')} |`,
    `| aggregates equal the producers' ground truth | ${ours.exactness.length === 0 ? 'yes' : 'no'} | ${spark.exactness.length === 0 ? 'yes' : 'no'} | |`,
  );
  const p99Ok = [0.1, 0.5, 0.8].every((fraction) => {
    const a = latencyAt(ours, fraction)?.p99Ms;
    const b = latencyAt(spark, fraction)?.p99Ms;
    return a !== undefined && b !== undefined && a <= b;
  });
  const throughputOk = throughputRatio !== undefined && throughputRatio >= TARGET_THROUGHPUT_RATIO;
  const verdict =
    throughputOk && p99Ok
      ? '**met**'
      : `**not met**: ${[
          throughputOk ? undefined : `throughput ${times(throughputRatio)} of Spark's`,
          p99Ok ? undefined : 'p99 not equal or better at every load',
        ]
          .filter(Boolean)
          .join('; ')}`;

  return [
    `### The peer: the tutorial's Spark Structured Streaming, in the same run${quick ? ' (quick run: short steps, indicative only)' : ''}`,
    '',
    `Spark ${SPARK_VERSION} (Scala 2.12, from Maven Central) in local mode, all cores, on ${javaVersion}, ${SPARK_HEAP.slice(4)} heap; the job is bench/peers/spark. ` +
      `It reads the same topic (a broker of its own, started the same way, fed by the same producer processes with the same seeds, so the same deals), parses the JSON with from_json, ` +
      `and every ${WINDOW_MS / 1000} s trigger, in foreachBatch, sums amount (decimal) and counts per branch × currency and writes the rows over JDBC in one transaction, ` +
      "with a row per batch (committed_at, the 5 ms histogram of its records' Kafka timestamps) so that latency comes out the same way as ours. " +
      'One Spark job per batch computes sums and histogram together, and one JDBC connection is kept open: the peer is given its best chance. ' +
      'Tuned as anyone running Spark locally would: shuffle partitions = cores, UI off.',
    '',
    `| | treasury-stream | Spark | ours vs Spark |`,
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `Target: ≥ ${TARGET_THROUGHPUT_RATIO}× Spark's sustained throughput at an equal or better p99: ${verdict}.`,
    '',
    comparisonNote(ours, spark),
    '',
    'Spark, latency at its own loads:',
    '',
    ...latencyTable(spark),
    '',
    `Spark, search for the sustained rate (steps of ${spark.plan.stepMs / 1000} s):`,
    '',
    ...stepsTable(spark.steps),
    '',
    drainSentence(spark),
    '',
    `What limits Spark: ${limitNote(spark)}`,
    '',
    ...spark.exactness.slice(0, 5).map((line) => `- MISMATCH ${line}`),
    `Machine: ${machineDescription()}. Both systems ran one after the other on brokers and databases of their own. ${noiseNote([ours, spark])}`,
    '',
  ].join('\n');
}

function sparkFigures(spark: SystemMeasurement, ours: SystemMeasurement): Record<string, number | string> {
  const throughputRatio = ratio(ours.sustainedRate, spark.sustainedRate);
  return {
    ...endToEndFigures(spark, 'spark'),
    'spark.throughputRatio': throughputRatio === undefined ? 'none' : Number(throughputRatio.toFixed(2)),
  };
}

function notRunMarkdown(reason: string): string {
  return [
    "### The peer: the tutorial's Spark Structured Streaming, in the same run",
    '',
    `Spark could not run here, so there is no comparison: ${reason}`,
    '',
  ].join('\n');
}

/** Issue 5 part 4, as bench/run.ts calls it. */
export async function runSparkSection(options: SectionOptions): Promise<SectionResult> {
  let classpath: string;
  try {
    classpath = await ensureSparkPeerBuilt(options.log);
  } catch (error) {
    const reason = `building the job failed: ${(error as Error).message}`;
    options.log(reason);
    return { markdown: notRunMarkdown(reason), figures: { 'spark.ran': 'no', 'spark.error': reason } };
  }
  let spark: SystemMeasurement;
  try {
    spark = await measureSpark(options, classpath);
  } catch (error) {
    const reason = `the run failed: ${(error as Error).message}`;
    options.log(reason);
    return { markdown: notRunMarkdown(reason), figures: { 'spark.ran': 'no', 'spark.error': reason } };
  }
  // Beside the end-to-end figures of this run when bench/run.ts has measured them, else measured now.
  const ours = latestEndToEndMeasurement(options.quick) ?? (await measureEndToEnd(options));
  return {
    markdown: sideBySideMarkdown(ours, spark, options.quick, await javaVersion()),
    figures: { 'spark.ran': 'yes', ...sparkFigures(spark, ours) },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const result = await runSparkSection({ quick, log: (line) => console.error(line) });
  console.log(result.markdown);
  console.log(JSON.stringify(result.figures, null, 2));
}
