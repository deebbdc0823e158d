/**
 * Section 1, second part: the handler as the function pays for it in Lambda's runtime. The bundle
 * under the Runtime Interface Emulator and aws-lambda-ric, one execution environment, a real
 * PostgreSQL; CPU of the function's process and of the emulator per 10,000-record invocation, against
 * the runtime's floor (a function that only counts records), and a CPU profile of the function's
 * process, placed with the bundle's source map.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RECORDS_PER_EVENT } from '../handler-throughput/producer-events.js';
import type { ChartPanel } from '../report/chart.js';
import { markdownTable } from '../report/markdown.js';
import type { MeasuredSection, SectionOptions, TargetCheck } from '../report/section.js';
import { atLeast, formatMillions, formatNumber, formatSummary, type Summary } from '../report/stats.js';
import {
  measureRuntimeInvocations,
  type RuntimeRunOptions,
  type RuntimeRunResult,
  startBenchDatabase,
} from './invocation.js';
import {
  type RuntimeProfileSummary,
  runtimeProfiler,
  sourceMapLocator,
  summarizeRuntimeProfile,
} from './profile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TARGET_RECORDS_PER_CPU_SECOND = 1_000_000;

/**
 * glibc's malloc kept from giving memory back between invocations (docs/PERFORMANCE-HISTORY.md). Measured as a
 * variant only; adopting it is a change to the function's configuration (contracts/functions.ts).
 */
export const MALLOC_TUNABLES =
  'glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=134217728:glibc.malloc.top_pad=67108864';

interface Variant {
  readonly name: string;
  readonly what: string;
  readonly floor: boolean;
  readonly environment?: Readonly<Record<string, string>>;
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'aggregator in the runtime',
    what: 'the bundle as CDK builds it, as Lambda configures it: decode, aggregate, apply_batch, log line, EMF metrics',
    floor: false,
  },
  {
    name: "runtime's floor",
    what: 'a function that only counts the records, bundled and configured the same: what the runtime client costs',
    floor: true,
  },
  {
    name: 'aggregator, malloc tuned',
    what: `the aggregator with GLIBC_TUNABLES=${MALLOC_TUNABLES} in its environment (not adopted: see below)`,
    floor: false,
    environment: { GLIBC_TUNABLES: MALLOC_TUNABLES },
  },
];

const perSecond = (ms: number) => (RECORDS_PER_EVENT * 1000) / ms;
const ms = (value: number) => `${formatNumber(value, 1)} ms`;
const percent = (share: number) => `${formatNumber(share * 100, 1)} %`;

/** The budget the target leaves per invocation of RECORDS_PER_EVENT records. */
const TARGET_MS_PER_EVENT = (RECORDS_PER_EVENT * 1000) / TARGET_RECORDS_PER_CPU_SECOND;

/**
 * What this run's figures say about the runtime's floor, the handler's share and the malloc setting.
 * What perf showed of the floor when this section was written (V8's profiler does not see the native
 * runtime client's thread) is in docs/PERFORMANCE-HISTORY.md, not here: this text holds only figures
 * of the run that prints it.
 */
function findings(aggregatorMs: number, floorMs: number, tunedMs: number): string {
  const floorOver = floorMs > TARGET_MS_PER_EVENT;
  return `### What this run says

- **The runtime client alone costs ${ms(floorMs)} per ${formatNumber(RECORDS_PER_EVENT)}-record event here** (the floor row),
  ${floorOver ? 'more than' : 'against'} the ${ms(TARGET_MS_PER_EVENT)} the target allows for everything. None of it is the handler's code.
- **The handler's share is the aggregator row less the floor, ${ms(aggregatorMs - floorMs)}.**
- **With \`GLIBC_TUNABLES\` raising glibc's trim and mmap thresholds** (the "malloc tuned" row), the aggregator
  took ${ms(tunedMs)} against ${ms(aggregatorMs)}. It is an environment variable of the function, so it would apply in
  AWS too, but there on Amazon Linux's glibc for ARM64, which this machine cannot measure: a proposal for
  the function's configuration (contracts/functions.ts), not adopted.
- ${
    floorOver
      ? `**So the target is not reachable by changing the handler on this runtime:** a handler that cost nothing would still leave the floor above ${ms(TARGET_MS_PER_EVENT)}.`
      : `**The floor leaves the handler ${ms(TARGET_MS_PER_EVENT - floorMs)} under the target.**`
  } What would move the floor is outside \`lambda/\`: the malloc setting above, a newer Node (this machine runs
  Node ${process.versions.node}), or smaller events, which cost the runtime the same per record.

Where the floor's time goes, from perf when this section was written: docs/PERFORMANCE-HISTORY.md.`;
}

function profileTables(summary: RuntimeProfileSummary): string[] {
  return [
    `${formatNumber(summary.sampledMillis)} ms of busy samples on the function's main thread over the profiled invocations (the process was idle ${percent(summary.idleShare)} of the time, waiting for the next event or for PostgreSQL). \`(program)\` is V8 outside JavaScript: native code called from the event loop, mostly the runtime client making the event's string. Minified names are the bundle's; the file and line are the source map's.`,
    '',
    markdownTable(
      ['Function (bundle name, original place)', 'Self time'],
      summary.functions.map((f) => [f.name, percent(f.share)]),
    ),
    '',
    markdownTable(
      ['File or package', 'Self time'],
      summary.files.map((f) => [f.name, percent(f.share)]),
    ),
  ];
}

/**
 * `inProcessMsPerEvent`: CPU per 10,000 records of the handler's path in this process (the handler
 * row above), for the comparison.
 */
export async function runRuntimeSection(
  options: SectionOptions,
  inProcessMsPerEvent: number,
): Promise<MeasuredSection> {
  const runs = options.quick ? 3 : 7;
  const base: Omit<RuntimeRunOptions, 'floor'> = {
    runs,
    invocationsPerRun: options.quick ? 5 : 10,
    warmupInvocations: options.quick ? 5 : 10,
    log: options.log,
  };
  options.log('runtime: starting embedded PostgreSQL');
  const { server } = await startBenchDatabase();
  const results = new Map<Variant, RuntimeRunResult>();
  let profile: RuntimeProfileSummary | undefined;
  try {
    for (const variant of VARIANTS) {
      options.log(`runtime: ${variant.name}`);
      results.set(
        variant,
        await measureRuntimeInvocations(server.url, {
          ...base,
          floor: variant.floor,
          extraEnvironment: variant.environment,
        }),
      );
    }
    options.log('runtime: profiling the aggregator in the runtime');
    const profiler = await runtimeProfiler(join(ROOT, '.cache', 'bench', 'runtime-profile'));
    let raw: Awaited<ReturnType<typeof profiler.stop>> | undefined;
    await measureRuntimeInvocations(server.url, {
      ...base,
      runs: 1,
      invocationsPerRun: options.quick ? 10 : 40,
      extraNodeOptions: profiler.nodeOptions,
      onMeasuring: (pid) => profiler.start(pid),
      onMeasured: async (pid) => {
        raw = await profiler.stop(pid);
      },
    });
    if (raw !== undefined) {
      const locate = await sourceMapLocator([join(ROOT, '.cache', 'lambda', 'aggregator', 'index.mjs')]);
      profile = summarizeRuntimeProfile(raw, locate);
    }
  } finally {
    await server.stop();
  }

  const [aggregator, floor, tuned] = VARIANTS.map((v) => results.get(v) as RuntimeRunResult) as [
    RuntimeRunResult,
    RuntimeRunResult,
    RuntimeRunResult,
  ];
  const rows = VARIANTS.map((variant) => {
    const r = results.get(variant) as RuntimeRunResult;
    return [
      variant.name,
      formatSummary(r.functionMs, ms),
      formatMillions(perSecond(r.functionMs.median)),
      formatSummary(r.emulatorMs, ms),
      formatSummary(r.wallMs, ms),
      variant.what,
    ];
  });
  const handlerShare = aggregator.functionMs.median - floor.functionMs.median;
  const markdown = [
    '### In the runtime, as the function pays for it',
    '',
    `The aggregator's bundle (built as CDK builds it) under the Lambda Runtime Interface Emulator and aws-lambda-ric, one`,
    `execution environment, invoked with MSK events of ${formatNumber(RECORDS_PER_EVENT)} producer records (${formatNumber(aggregator.eventBytes / 1e6, 2)} MB of JSON each), every`,
    'one at fresh offsets so that it applies, against embedded PostgreSQL with the migrations. CPU is utime + stime',
    "from /proc/<pid>/stat of the function's own process (the node process the emulator starts) and of the",
    `emulator, read around each run of ${base.invocationsPerRun} invocations (the ticks are 10 ms coarse), after ${base.warmupInvocations} warm-up invocations; ${runs} runs.`,
    'Wall time is from the invoker, the HTTP to the emulator included.',
    '',
    markdownTable(
      [
        'Variant',
        "Function's process, CPU per invocation",
        'Records per CPU second (median)',
        'Emulator, CPU per invocation',
        'Wall per invocation',
        'What it runs',
      ],
      rows,
    ),
    '',
    `In this process the handler's path alone (the handler row above) takes ${ms(inProcessMsPerEvent)} of CPU per ${formatNumber(RECORDS_PER_EVENT)} records; in the runtime the function's process takes ${ms(aggregator.functionMs.median)} per invocation of them, and the emulator another ${ms(aggregator.emulatorMs.median)}. ` +
      `The handler's share there (aggregator minus floor): ${ms(handlerShare)} per invocation, with PostgreSQL's round trip, the log line and the metrics. The invocations all applied (each answered ${formatNumber(RECORDS_PER_EVENT)} applied records with a batch id) or the run fails.`,
    '',
    "#### CPU profile of the function's process",
    '',
    ...(profile ? profileTables(profile) : ['No profile was written.']),
    '',
    findings(aggregator.functionMs.median, floor.functionMs.median, tuned.functionMs.median),
  ].join('\n');

  const checks: TargetCheck[] = [
    {
      what: "Aggregator in the runtime: records per CPU second of the function's process",
      value: perSecond(aggregator.functionMs.median),
      shown: `${formatMillions(perSecond(aggregator.functionMs.median))} (${ms(aggregator.functionMs.median)} per ${formatNumber(RECORDS_PER_EVENT)})`,
      target: atLeast(TARGET_RECORDS_PER_CPU_SECOND),
      targetShown: `≥ ${formatMillions(TARGET_RECORDS_PER_CPU_SECOND)} (≤ ${ms(TARGET_MS_PER_EVENT)})`,
    },
  ];
  const toRate = (s: Summary): Summary => ({
    runs: s.runs,
    median: perSecond(s.median),
    min: perSecond(s.max),
    max: perSecond(s.min),
    q1: perSecond(s.q3),
    q3: perSecond(s.q1),
  });
  const panels: ChartPanel[] = [
    {
      title: "1. In the runtime: records per CPU second of the function's process (median, min–max)",
      scale: 1e6,
      unit: 'M/s',
      bars: VARIANTS.map((variant, i) => ({
        label: variant.name,
        summary: toRate((results.get(variant) as RuntimeRunResult).functionMs),
        emphasis: i === 0,
      })),
      target: { value: TARGET_RECORDS_PER_CPU_SECOND, label: 'target 1 M/s' },
    },
  ];
  return {
    markdown,
    figures: {
      runtimeFunctionMsPerInvocation: aggregator.functionMs.median,
      runtimeEmulatorMsPerInvocation: aggregator.emulatorMs.median,
      runtimeFloorMsPerInvocation: floor.functionMs.median,
      runtimeRecordsPerCpuSecond: Math.round(perSecond(aggregator.functionMs.median)),
    },
    checks,
    panels,
    failures: [...results.values()].flatMap((r) => r.failures),
  };
}
