/**
 * 5. Where the time goes: a CPU profile (`node --cpu-prof`) of the handler's hot path, run in a child
 * process, summarized by self time per function and per source file.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MeasuredSection, markdownTable, type SectionOptions } from './report.js';
import { formatNumber } from './stats.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The parts of a .cpuprofile (Chrome DevTools' format) the summary reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  /** Function name and where it is, e.g. "scanCanonicalTransaction (lambda/domain/fast-decode.ts)". */
  readonly name: string;
  /** Share of all sampled time, idle excluded, 0–1. */
  readonly share: number;
}

export interface ProfileSummary {
  readonly sampledMillis: number;
  readonly functions: readonly SelfTime[];
  readonly files: readonly SelfTime[];
}

function where(url: string, root: string): string {
  if (url === '') return 'native';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inRepo = relative(root, path);
  return inRepo.startsWith('..') ? path : inRepo;
}

/**
 * Self time per function and per file, largest first, of the samples taken inside a call of
 * `within` (a function name), plus the garbage collector's, which V8 records outside any call
 * stack. Without `within`, every sample but "(idle)" and "(program)" (the process waiting, or V8
 * outside JavaScript).
 */
export function summarizeProfile(
  profile: CpuProfile,
  root: string,
  options: { readonly within?: string; readonly top?: number } = {},
): ProfileSummary {
  const top = options.top ?? 12;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const inside = new Map<number, boolean>();
  const isInside = (id: number): boolean => {
    const known = inside.get(id);
    if (known !== undefined) return known;
    const parent = parents.get(id);
    const result =
      nodes.get(id)?.callFrame.functionName === options.within || (parent !== undefined && isInside(parent));
    inside.set(id, result);
    return result;
  };
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined || delta <= 0) return;
    const { functionName, url } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') return;
    if (options.within !== undefined && functionName !== '(garbage collector)' && !isInside(id)) return;
    const file = where(url, root);
    const name = functionName.startsWith('(') ? functionName : `${functionName || '(anonymous)'} (${file})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    const fileKey = functionName.startsWith('(') ? functionName : file;
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + delta);
    total += delta;
  });
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, share: total === 0 ? 0 : micros / total }));
  return { sampledMillis: total / 1_000, functions: ranked(byFunction), files: ranked(byFile) };
}

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`)),
    );
  });
}

/** The largest profile in `dir`: the main thread's (tsx's loader thread writes a small one too). */
async function largestProfile(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  const sized = await Promise.all(
    files.map(async (file) => ({ file, size: (await stat(join(dir, file))).size })),
  );
  const largest = sized.sort((a, b) => b.size - a.size)[0];
  if (largest === undefined) throw new Error(`node --cpu-prof wrote no profile into ${dir}`);
  return join(dir, largest.file);
}

// What the profiles showed while the fast path was written, and what was done about it. The tables
// above it are measured again on every run.
const HISTORY = `### What the profiles showed, and what changed because of them

Measured on this machine while the fast path (\`lambda/domain/fast-decode.ts\`) was written, with
other engineers' tests running beside it, so the nanoseconds are approximate:

1. **Before:** \`decodeTransaction\` was the largest cost of the handler's path: ~675 ns a record, most
   of it \`JSON.parse\` and \`TextDecoder.decode\`, then \`validateTransaction\` and \`toCents\` (which
   prints each amount with \`String()\` to count its decimals). **Changed:** a byte scan of the
   producer's canonical shape that builds no parsed object, reads the amount straight into integer
   cents, interns branch and currency strings, and hands anything else to \`decodeTransaction\`.
2. **First scan, ~300 ns:** its line-level profile (an esbuild bundle, so that lines mean something)
   put key matching (each key read, then compared as a string) and per-byte range checks on top.
   **Changed:** a 256-entry byte-class table, whole-key literals compared in one loop (\`branch":\`),
   branch names recognised by one comparison against interned bytes (which also proves them plain
   text), currency codes from a 26³ table: ~250 ns.
3. **Second scan:** a fifth of the profile was building the id string (\`latin1Slice\`, \`slice\`,
   \`toString\`), which aggregation never reads. **Changed:** \`decodeDealFast\` checks the id but does
   not build it: ~180 ns against ~255 ns in an A/B run in one process.
4. **Then:** the decoder alone did about four times the plain one, but the handler's path was only
   ~1.3× faster (0.77 → 1.03 M records per CPU second, one process, against commit 62c9574, under
   load), because most of its time was elsewhere: \`Buffer.from(…, 'base64')\` twice per record in
   \`decodeMskEvent\` (key and value), three \`Map.get\` calls a record in \`aggregateBatch\` with keys
   built as new strings (\`topic-partition\` twice, \`currency|branch\` once), and the garbage collector
   copying the 10,000 record objects and 20,000 Buffers \`decodeMskEvent\` made first.
   **Changed:** the handler now runs \`aggregateMskEvent\`: one pass over the event, each value
   base64-decoded into one reused buffer and scanned there with its length (a 0 after it stops every
   comparison, so no view object per record: a \`subarray\` was another ~40 ns), keys and values given
   Buffers of their own only for records set aside, each partition's checkpoint and range looked up
   once, cells found by branch then currency (interned strings, hashes cached) instead of a joined key.
   \`aggregateBatch\` over decoded records shares the same accumulator, and a test holds the two equal.
   Measured: 1.52 → 3.09 M records per CPU second on a quiet machine (the figure in section 1 is this
   run's).
5. **Now** (the tables above): the scan is half the time, base64 decoding (\`base64Write\` and
   \`write\`) about a fifth, the accumulator about a quarter, the garbage collector ~2 %. The scan
   touches each of ~110 bytes about once through a table; what is left is near what this design does
   in JavaScript. The 3× ratio against the naive baseline would need under ~260 ns a record where
   base64 alone takes ~60 and the scan ~150: out of reach without, say, scanning the base64 text
   itself, which we have not tried.`;

export async function runProfileSection(options: SectionOptions): Promise<MeasuredSection> {
  const seconds = options.quick ? 2 : 8;
  const dir = join(ROOT, '.cache', 'bench', 'profile');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const args = [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--import',
    'tsx',
    'bench/run.ts',
    'hot-path',
    '--seconds',
    String(seconds),
  ];
  options.log(`profile: node ${args.join(' ')}`);
  const output = await run(process.execPath, args);
  const file = await largestProfile(dir);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const summary = summarizeProfile(profile, ROOT, { within: 'handlerPath' });
  const records = /(\d+) records/.exec(output)?.[1];

  const percent = (share: number) => `${formatNumber(share * 100, 1)} %`;
  const markdown = [
    `\`node ${args.join(' ').replace(dir, '.cache/bench/profile')}\` runs the handler's path`,
    '(aggregateMskEvent, as processBatch runs it, on 10,000-record events of producer values) in a loop for',
    `${seconds} s${records ? `, ${formatNumber(Number(records))} records` : ''}, under V8's sampling profiler.`,
    `${formatNumber(summary.sampledMillis)} ms of samples inside \`handlerPath\` or in the garbage collector (setup left out). The profile stays in`,
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
    HISTORY,
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
