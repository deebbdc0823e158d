/**
 * Section 1: the handler alone. Decode + validate + aggregate of MSK events as the producer fills
 * them, on one core, against a naive baseline measured in the same run; then the same path under
 * Lambda's runtime (bench/runtime/section.ts).
 */
import type { ChartPanel } from '../report/chart.js';
import { markdownTable } from '../report/markdown.js';
import type { MeasuredSection, SectionOptions } from '../report/section.js';
import {
  atLeast,
  formatMillions,
  formatNumber,
  formatSummary,
  type Summary,
  summarize,
} from '../report/stats.js';
import { runRuntimeSection } from '../runtime/section.js';
import { producerEvents, RECORDS_PER_EVENT } from './producer-events.js';
import {
  calibrate,
  checkAgreement,
  measure,
  type Sample,
  sinkValue,
  VARIANTS,
  type Variant,
} from './variants.js';

const TARGET_RECORDS_PER_CORE_SECOND = 3_000_000;
const TARGET_RATIO_TO_NAIVE = 3;

export async function runHandlerSection(options: SectionOptions): Promise<MeasuredSection> {
  const runs = options.quick ? 5 : 9;
  const runSeconds = options.quick ? 0.15 : 0.6;
  const events = producerEvents(options.quick ? 2 : 4);
  const meanValueBytes = events.reduce((sum, e) => sum + e.meanValueBytes, 0) / events.length;
  const failures = checkAgreement(events);

  options.log(`handler: calibrating ${VARIANTS.length} variants`);
  const passes = new Map(VARIANTS.map((variant) => [variant, calibrate(variant, events, runSeconds)]));
  const samples = new Map<Variant, Sample[]>(VARIANTS.map((variant) => [variant, []]));
  for (let run = 0; run < runs; run++) {
    // Variants take turns within each run, starting one further each run, so that a noisy moment on
    // the machine does not fall on one variant only.
    for (let i = 0; i < VARIANTS.length; i++) {
      const variant = VARIANTS[(run + i) % VARIANTS.length] as Variant;
      samples.get(variant)?.push(measure(variant, events, passes.get(variant) ?? 1));
    }
    options.log(`handler: run ${run + 1}/${runs} done`);
  }
  if (sinkValue() === 0.5) options.log('unreachable: keeps the results alive');

  const cpu = new Map<Variant, Summary>();
  const wall = new Map<Variant, Summary>();
  for (const [variant, list] of samples) {
    cpu.set(variant, summarize(list.map((s) => s.cpuRecordsPerSecond)));
    wall.set(variant, summarize(list.map((s) => s.wallRecordsPerSecond)));
  }
  const [naive, handler] = VARIANTS as [Variant, Variant, ...Variant[]];
  const handlerCpu = cpu.get(handler) as Summary;
  const naiveCpu = cpu.get(naive) as Summary;
  // The ratio per run (both measured in that run), then its median: steadier than a ratio of medians.
  const handlerSamples = samples.get(handler) as Sample[];
  const naiveSamples = samples.get(naive) as Sample[];
  const ratio = summarize(
    handlerSamples.map((s, i) => s.cpuRecordsPerSecond / (naiveSamples[i] as Sample).cpuRecordsPerSecond),
  );

  const rows = VARIANTS.map((variant) => {
    const cpuSummary = cpu.get(variant) as Summary;
    return [
      variant.name,
      formatSummary(cpuSummary, formatMillions),
      formatSummary(wall.get(variant) as Summary, formatMillions),
      `${formatNumber(1e9 / cpuSummary.median)} ns`,
      variant.what,
    ];
  });

  const markdown = [
    `MSK events of ${formatNumber(RECORDS_PER_EVENT)} records, one partition each, as the event source mapping`,
    `delivers them (base64 key and value, CreateTime timestamps); the values are the producer's own`,
    `(\`toMessage\` of generated deals), ${formatNumber(meanValueBytes, 1)} bytes on average.`,
    `${events.length} distinct events, ${runs} runs; in each run every variant works for about ${runSeconds} s,`,
    'the variants taking turns. Node runs this JavaScript on one thread; **records per CPU second** divide',
    "by the process's user + system CPU time (GC helper threads included), so they are what one core",
    'does; records per wall second are shown beside them and suffer when other processes take the CPU.',
    '',
    markdownTable(
      ['Variant', 'Records per CPU second', 'Records per wall second', 'CPU per record', 'What it does'],
      rows,
    ),
    '',
    `Handler against the naive baseline, per run: ${formatSummary(ratio, (v) => `${formatNumber(v, 2)}×`)}.`,
    '',
    'How the handler path got here, with the measurements that justified each step, is in',
    'docs/PERFORMANCE-HISTORY.md; section 5 profiles this run.',
    '',
    "The handler's sums are checked against the baseline's before timing: any difference fails the run.",
  ].join('\n');

  const checks = [
    {
      what: 'Handler: records/s per core (decode + validate + aggregate)',
      value: handlerCpu.median,
      shown: formatSummary(handlerCpu, formatMillions),
      target: atLeast(TARGET_RECORDS_PER_CORE_SECOND),
      targetShown: `≥ ${formatMillions(TARGET_RECORDS_PER_CORE_SECOND)}`,
    },
    {
      what: 'Handler ÷ naive baseline (same run)',
      value: ratio.median,
      shown: formatSummary(ratio, (v) => `${formatNumber(v, 2)}×`),
      target: atLeast(TARGET_RATIO_TO_NAIVE),
      targetShown: `≥ ${TARGET_RATIO_TO_NAIVE}×`,
    },
  ];
  const panels: ChartPanel[] = [
    {
      title: '1. Handler alone: records per CPU second (median, min–max)',
      scale: 1e6,
      unit: 'M/s',
      bars: VARIANTS.map((variant) => ({
        label: variant.name,
        summary: cpu.get(variant) as Summary,
        emphasis: variant === handler,
      })),
      target: {
        value: TARGET_RECORDS_PER_CORE_SECOND,
        label: `target ${formatMillions(TARGET_RECORDS_PER_CORE_SECOND)}/s`,
      },
    },
  ];
  // The same path as the function pays for it under Lambda's runtime (bench/runtime/section.ts).
  const runtime = await runRuntimeSection(options, (RECORDS_PER_EVENT * 1000) / handlerCpu.median);
  return {
    markdown: `${markdown}\n\n${runtime.markdown}`,
    figures: {
      handlerRecordsPerCpuSecond: Math.round(handlerCpu.median),
      naiveRecordsPerCpuSecond: Math.round(naiveCpu.median),
      handlerToNaiveRatio: Number(ratio.median.toFixed(2)),
      ...runtime.figures,
    },
    checks: [...checks, ...runtime.checks],
    panels: [...panels, ...runtime.panels],
    failures: [...failures, ...runtime.failures],
  };
}
