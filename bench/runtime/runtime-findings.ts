/** The runtime section's text: what a run's figures say, and where the function's time went. */
import { MALLOC_TUNABLES_ENV } from '../../contracts/functions.js';
import { FUNCTION_NODE_VERSION } from '../../local/lambda-runtime/function-node.js';
import { RECORDS_PER_EVENT } from '../handler-throughput/producer-events.js';
import { markdownTable } from '../report/markdown.js';
import { formatNumber } from '../report/stats.js';
import { MEMORY_MARGIN, MEMORY_STEP_MIB, type MemoryChoice } from './memory.js';
import type { RuntimeProfileSummary } from './profile.js';

/** Records per CPU second the function's path is to reach. */
export const TARGET_RECORDS_PER_CPU_SECOND = 1_000_000;
export const TARGET_RATIO_TO_FLOOR = 1.15;

const ms = (value: number) => `${formatNumber(value, 1)} ms`;
const percent = (share: number) => `${formatNumber(share * 100, 1)} %`;

/** The budget the target leaves per invocation of RECORDS_PER_EVENT records. */
export const TARGET_MS_PER_EVENT = (RECORDS_PER_EVENT * 1000) / TARGET_RECORDS_PER_CPU_SECOND;

export interface Findings {
  readonly aggregatorMs: number;
  readonly floorMs: number;
  readonly untunedMs: number;
  readonly untunedFloorMs: number;
  readonly memory: MemoryChoice;
  readonly untunedPeakMiB: number;
}

/**
 * What this run's figures say about the runtime's floor, the handler's share, the malloc setting and
 * the memory size. What perf showed of the floor when this section was written (V8's profiler does
 * not see the native runtime client's thread) is in docs/PERFORMANCE-HISTORY.md, not here: this text
 * holds only figures of the run that prints it, and the sources of the setting's decision.
 */
export function findings(f: Findings): string {
  const floorOver = f.floorMs > TARGET_MS_PER_EVENT;
  const ratio = f.aggregatorMs / f.floorMs;
  return `### What this run says

- **The aggregator against its floor: ${ms(f.aggregatorMs)} ÷ ${ms(f.floorMs)} = ${formatNumber(ratio, 2)}** (target ≤ ${TARGET_RATIO_TO_FLOOR}),
  both as the stack configures them; with glibc's malloc defaults ${ms(f.untunedMs)} ÷ ${ms(f.untunedFloorMs)} = ${formatNumber(f.untunedMs / f.untunedFloorMs, 2)}.
  The handler's share is the difference, ${ms(f.aggregatorMs - f.floorMs)} per ${formatNumber(RECORDS_PER_EVENT)} records, PostgreSQL's round trip, the log line and the metrics included.
- **\`${MALLOC_TUNABLES_ENV}\` is adopted** (contracts/functions.ts, so in the stack and in the local runtime alike):
  the aggregator took ${ms(f.aggregatorMs)} with it against ${ms(f.untunedMs)} without, the floor ${ms(f.floorMs)} against ${ms(f.untunedFloorMs)}${
    f.aggregatorMs < f.untunedMs
      ? ''
      : ': **this run shows no saving**, so the decision rests on the runs named in the commit that adopted it, to be read again'
  }.
  Why it holds in AWS: \`nodejs24.x\` runs on Amazon Linux 2023 ([Lambda runtimes for Node.js](https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html)),
  whose glibc is 2.34 ([AL2023 core toolchain packages](https://docs.aws.amazon.com/linux/al2023/ug/core-glibc.html)); the three malloc tunables exist since glibc 2.26
  ([glibc manual, memory allocation tunables](https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html)); glibc ignores tunables only in
  setuid (AT_SECURE) processes, which Lambda's runtime is not; and \`${MALLOC_TUNABLES_ENV}\` is not among the variables Lambda reserves
  ([Lambda environment variables](https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)). What this machine cannot
  measure is AWS's own runtime client on ARM64: the figure there is to be read from the function's billed duration after deploying.
- **Memory: peak resident memory ${formatNumber(f.memory.peakMiB, 0)} MiB** (VmHWM of the function's process over all its ${formatNumber(RECORDS_PER_EVENT)}-record invocations; ${formatNumber(f.untunedPeakMiB, 0)} MiB with malloc defaults).
  × ${MEMORY_MARGIN} (a 6 MB event, Lambda's cap, is twice these) rounded up to ${MEMORY_STEP_MIB} MB: ${formatNumber(f.memory.recommendedMiB)} MB; the stack configures ${formatNumber(f.memory.configuredMiB)} MB (contracts/functions.ts)${f.memory.covered ? '' : ', **too little by this run**'}.
- ${
    floorOver
      ? `**The records-per-CPU-second target is not reachable by changing the handler on this runtime:** a handler that cost nothing would still leave the floor above ${ms(TARGET_MS_PER_EVENT)}.`
      : `**The floor leaves the handler ${ms(TARGET_MS_PER_EVENT - f.floorMs)} under the records-per-CPU-second target.**`
  } The functions run on Node ${FUNCTION_NODE_VERSION} here, Lambda's major version.

Where the floor's time goes, from perf when this section was written: docs/PERFORMANCE-HISTORY.md.`;
}

export function profileTables(summary: RuntimeProfileSummary): string[] {
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
