/**
 * Section 1, second part: the handler as the function pays for it in Lambda's runtime. The bundle
 * under the Runtime Interface Emulator and aws-lambda-ric, one execution environment, a real
 * PostgreSQL; CPU of the function's process and of the emulator per 10,000-record invocation, against
 * the runtime's floor (a function that only counts records), and a CPU profile of the function's
 * process, placed with the bundle's source map.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aggregatorFunction, MALLOC_TUNABLES_ENV } from '../../contracts/functions.js';
import { RECORDS_PER_EVENT } from '../handler-throughput/producer-events.js';
import type { ChartPanel } from '../report/chart.js';
import { markdownTable } from '../report/markdown.js';
import type { MeasuredSection, SectionOptions, TargetCheck } from '../report/section.js';
import {
  atLeast,
  atMost,
  formatMillions,
  formatNumber,
  formatSummary,
  type Summary,
} from '../report/stats.js';
import {
  measureRuntimeInvocations,
  type RunCost,
  type RuntimeRunOptions,
  type RuntimeRunResult,
  RuntimeSubject,
  runResult,
  startBenchDatabase,
} from './invocation.js';
import { MEMORY_MARGIN, memoryChoice } from './memory.js';
import {
  type RuntimeProfileSummary,
  runtimeProfiler,
  sourceMapLocator,
  summarizeRuntimeProfile,
} from './profile.js';
import {
  findings,
  profileTables,
  TARGET_MS_PER_EVENT,
  TARGET_RATIO_TO_FLOOR,
  TARGET_RECORDS_PER_CPU_SECOND,
} from './runtime-findings.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Variant {
  readonly name: string;
  readonly what: string;
  readonly floor: boolean;
  readonly environment?: Readonly<Record<string, string>>;
}

// An empty GLIBC_TUNABLES sets no tunable: glibc's defaults, as before the setting was adopted.
const WITHOUT_MALLOC_SETTING = { [MALLOC_TUNABLES_ENV]: '' };

const AGGREGATOR: Variant = {
  name: 'aggregator in the runtime',
  what: `the bundle as CDK builds it, configured as the stack configures it (contracts/functions.ts, ${MALLOC_TUNABLES_ENV} included): decode, aggregate, apply_batch, log line, EMF metrics`,
  floor: false,
};
const FLOOR: Variant = {
  name: "runtime's floor",
  what: 'a function that only counts the records, bundled and configured the same: what the runtime client costs',
  floor: true,
};
const AGGREGATOR_UNTUNED: Variant = {
  name: 'aggregator, glibc malloc defaults',
  what: `the aggregator with ${MALLOC_TUNABLES_ENV} empty: what it cost before the setting`,
  floor: false,
  environment: WITHOUT_MALLOC_SETTING,
};
const FLOOR_UNTUNED: Variant = {
  name: "runtime's floor, glibc malloc defaults",
  what: `the floor with ${MALLOC_TUNABLES_ENV} empty`,
  floor: true,
  environment: WITHOUT_MALLOC_SETTING,
};
const VARIANTS: readonly Variant[] = [AGGREGATOR, FLOOR, AGGREGATOR_UNTUNED, FLOOR_UNTUNED];

/** The aggregator's CPU per 10,000-record invocation over the floor's, under the same runtime. */

const perSecond = (ms: number) => (RECORDS_PER_EVENT * 1000) / ms;
const ms = (value: number) => `${formatNumber(value, 1)} ms`;

/**
 * Every variant in an execution environment of its own, warmed up, then run by run in turn (the
 * order rotating), so that each run of one variant has the others' beside it in time: what else the
 * machine does then weighs on all of them alike.
 */
async function measureTakingTurns(
  databaseUrl: string,
  variants: readonly Variant[],
  base: Omit<RuntimeRunOptions, 'floor'>,
  log: (line: string) => void,
): Promise<Map<Variant, RuntimeRunResult>> {
  const subjects = new Map<Variant, RuntimeSubject>();
  const costs = new Map<Variant, RunCost[]>(variants.map((v) => [v, []]));
  try {
    for (const variant of variants) {
      log(`runtime: starting ${variant.name}`);
      subjects.set(
        variant,
        await RuntimeSubject.start(databaseUrl, {
          ...base,
          floor: variant.floor,
          extraEnvironment: variant.environment,
        }),
      );
    }
    for (let run = 0; run < base.runs; run++) {
      const order = variants.map((_, i) => variants[(i + run) % variants.length] as Variant);
      for (const variant of order) {
        const cost = await (subjects.get(variant) as RuntimeSubject).run(base.invocationsPerRun);
        costs.get(variant)?.push(cost);
        log(
          `runtime: run ${run + 1}/${base.runs}, ${variant.name}: function ${cost.functionMs.toFixed(1)} ms, emulator ${cost.emulatorMs.toFixed(1)} ms CPU per invocation`,
        );
      }
    }
    return new Map(
      variants.map((variant) => {
        const subject = subjects.get(variant) as RuntimeSubject;
        return [variant, runResult(subject, costs.get(variant) ?? [], subject.peakRssKiB())];
      }),
    );
  } finally {
    await Promise.all([...subjects.values()].map((subject) => subject.stop()));
  }
}

/**
 * `inProcessMsPerEvent`: CPU per 10,000 records of the handler's path in this process (the handler
 * row above), for the comparison.
 */
export async function runRuntimeSection(
  options: SectionOptions,
  inProcessMsPerEvent: number,
): Promise<MeasuredSection> {
  const runs = options.quick ? 3 : 9;
  const base: Omit<RuntimeRunOptions, 'floor'> = {
    runs,
    invocationsPerRun: options.quick ? 5 : 20,
    warmupInvocations: options.quick ? 5 : 10,
    log: options.log,
  };
  options.log('runtime: starting embedded PostgreSQL');
  const { server } = await startBenchDatabase();
  let results = new Map<Variant, RuntimeRunResult>();
  let profile: RuntimeProfileSummary | undefined;
  try {
    results = await measureTakingTurns(server.url, VARIANTS, base, options.log);
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

  const result = (variant: Variant) => results.get(variant) as RuntimeRunResult;
  const aggregator = result(AGGREGATOR);
  const floor = result(FLOOR);
  const memory = memoryChoice(aggregator.peakRssKiB, aggregatorFunction().memoryMiB);
  const mib = (kib: number) => `${formatNumber(kib / 1024, 0)} MiB`;
  const rows = VARIANTS.map((variant) => {
    const r = result(variant);
    return [
      variant.name,
      formatSummary(r.functionMs, ms),
      formatMillions(perSecond(r.functionMs.median)),
      formatSummary(r.emulatorMs, ms),
      formatSummary(r.wallMs, ms),
      `${mib(r.rssAfterWarmupKiB)} / ${mib(r.peakRssKiB)}`,
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
    `emulator, read around each run of ${base.invocationsPerRun} invocations (the ticks are 10 ms coarse), after ${base.warmupInvocations} warm-up invocations; ${runs} runs,`,
    'each variant in an execution environment of its own, the variants taking turns run by run. Resident memory is',
    "VmRSS and VmHWM (the peak over the process's life) from /proc/<pid>/status of the function's process.",
    'Wall time is from the invoker, the HTTP to the emulator included.',
    '',
    markdownTable(
      [
        'Variant',
        "Function's process, CPU per invocation",
        'Records per CPU second (median)',
        'Emulator, CPU per invocation',
        'Wall per invocation',
        "Function's process, resident after warm-up / peak",
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
    findings({
      aggregatorMs: aggregator.functionMs.median,
      floorMs: floor.functionMs.median,
      untunedMs: result(AGGREGATOR_UNTUNED).functionMs.median,
      untunedFloorMs: result(FLOOR_UNTUNED).functionMs.median,
      memory,
      untunedPeakMiB: result(AGGREGATOR_UNTUNED).peakRssKiB / 1024,
    }),
  ].join('\n');

  const checks: TargetCheck[] = [
    {
      what: "Aggregator in the runtime: records per CPU second of the function's process",
      value: perSecond(aggregator.functionMs.median),
      shown: `${formatMillions(perSecond(aggregator.functionMs.median))} (${ms(aggregator.functionMs.median)} per ${formatNumber(RECORDS_PER_EVENT)})`,
      target: atLeast(TARGET_RECORDS_PER_CPU_SECOND),
      targetShown: `≥ ${formatMillions(TARGET_RECORDS_PER_CPU_SECOND)} (≤ ${ms(TARGET_MS_PER_EVENT)})`,
    },
    {
      what: "Aggregator ÷ runtime's floor: CPU per 10,000-record invocation, same runtime and configuration",
      value: aggregator.functionMs.median / floor.functionMs.median,
      shown: `${formatNumber(aggregator.functionMs.median / floor.functionMs.median, 2)} (${ms(aggregator.functionMs.median)} ÷ ${ms(floor.functionMs.median)})`,
      target: atMost(TARGET_RATIO_TO_FLOOR),
      targetShown: `≤ ${TARGET_RATIO_TO_FLOOR}`,
    },
    {
      what: `Aggregator's configured memory ≥ peak RSS × ${MEMORY_MARGIN}`,
      value: memory.configuredMiB,
      shown: `${formatNumber(memory.configuredMiB)} MB (peak ${formatNumber(memory.peakMiB, 0)} MiB)`,
      target: atLeast(memory.recommendedMiB),
      targetShown: `≥ ${formatNumber(memory.recommendedMiB)} MB`,
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
        summary: toRate(result(variant).functionMs),
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
      runtimeAggregatorToFloorRatio: Number(
        (aggregator.functionMs.median / floor.functionMs.median).toFixed(2),
      ),
      runtimeUntunedMsPerInvocation: result(AGGREGATOR_UNTUNED).functionMs.median,
      runtimePeakRssMiB: Math.round(memory.peakMiB),
      aggregatorMemoryMiB: memory.configuredMiB,
      runtimeRecordsPerCpuSecond: Math.round(perSecond(aggregator.functionMs.median)),
    },
    checks,
    panels,
    failures: [...results.values()].flatMap((r) => r.failures),
  };
}
