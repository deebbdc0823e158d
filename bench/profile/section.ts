/**
 * Section 5: where the time goes. A CPU profile of the handler's hot path, run in a process of its own
 * (bench/profile/hot-path-cli.ts), summarized by self time per function and per source file.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from '../../local/support/child-process.js';
import { markdownTable } from '../report/markdown.js';
import type { MeasuredSection, SectionOptions } from '../report/section.js';
import { formatNumber } from '../report/stats.js';
import { type CpuProfile, summarizeProfile } from './cpu-profile.js';
import { HOT_PATH_FUNCTION } from './hot-path.js';
import type { HotPathResult } from './hot-path-cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'bench/profile/hot-path-cli.ts';
const PROFILE = '.cache/bench/profile/hot-path.cpuprofile';

/** The CLI's result: its one JSON line of stdout, whatever else the process printed. */
export function hotPathResultOf(output: string): HotPathResult {
  for (const line of output.split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line) as Partial<HotPathResult>;
      if (typeof parsed.records === 'number') return { records: parsed.records };
    } catch {
      // Not the result line.
    }
  }
  throw new Error(`${CLI} printed no result line:\n${output}`);
}

export async function runProfileSection(options: SectionOptions): Promise<MeasuredSection> {
  const seconds = options.quick ? 2 : 8;
  const dir = join(ROOT, '.cache', 'bench', 'profile');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const args = ['--seconds', String(seconds), '--profile', PROFILE];
  options.log(`profile: npx tsx ${CLI} ${args.join(' ')}`);
  const run = await runScript(CLI, args);
  if (run.code !== 0) throw new Error(`${CLI} exited with ${run.signal ?? run.code}:\n${run.output}`);
  const { records } = hotPathResultOf(run.output);
  const profile = JSON.parse(await readFile(join(ROOT, PROFILE), 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, ROOT, { within: HOT_PATH_FUNCTION });

  const percent = (share: number) => `${formatNumber(share * 100, 1)} %`;
  const markdown = [
    `\`npx tsx ${CLI} ${args.join(' ')}\` runs the handler's path`,
    '(aggregateMskEvent, as processBatch runs it, on 10,000-record events of producer values) in a loop for',
    `${seconds} s, ${formatNumber(records)} records, under V8's sampling profiler (1 ms, as \`node --cpu-prof\`).`,
    `${formatNumber(summary.sampledMillis)} ms of samples inside \`${HOT_PATH_FUNCTION}\` or in the garbage collector (setup left out). The profile stays in`,
    '`.cache/bench/profile/` for Chrome DevTools (Performance → Load profile) or speedscope.',
    '',
    'Self time by function (with its file only: tsx compiles each file to one line, so line numbers say nothing):',
    '',
    markdownTable(
      ['Function', 'Self time'],
      summary.functions.map((f) => [f.name, percent(f.share)]),
    ),
    '',
    'Self time by source file:',
    '',
    markdownTable(
      ['File', 'Self time'],
      summary.files.map((f) => [f.name, percent(f.share)]),
    ),
    '',
    'What earlier profiles showed and what was changed because of them is in docs/PERFORMANCE-HISTORY.md.',
  ].join('\n');
  const topFunction = summary.functions[0];
  return {
    markdown,
    figures: topFunction ? { profileTopFunction: topFunction.name, profileTopShare: topFunction.share } : {},
    checks: [],
    panels: [],
    failures: [],
  };
}
