/**
 * A CPU profile of the function's own process under the runtime client: a preload (NODE_OPTIONS
 * --import) opens an inspector session in that process, starts V8's sampling profiler on SIGUSR2
 * (after the warm-up) and writes the profile on SIGTERM. The bundle is minified, so samples are
 * placed with its source map: by original file, and by the original function around each line.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { CpuProfile, SelfTime } from '../profile/cpu-profile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the preload runs in the function's process; plain JavaScript, no dependency. */
export function preloadSource(profilePath: string, samplingMicros: number): string {
  return `import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
process.on('SIGUSR2', () => {
  session.post('Profiler.enable', () =>
    session.post('Profiler.setSamplingInterval', { interval: ${samplingMicros} }, () =>
      session.post('Profiler.start')));
});
process.on('SIGTERM', () => {
  session.post('Profiler.stop', (error, result) => {
    writeFileSync(${JSON.stringify(profilePath)}, JSON.stringify(error ? { error: String(error) } : result.profile));
    process.exit(0);
  });
});
`;
}

export interface RuntimeProfiler {
  /** For RuntimeRunOptions.extraNodeOptions. */
  readonly nodeOptions: string;
  start(pid: number): void;
  /** Stops the profiler in `pid` and waits for its profile. */
  stop(pid: number): Promise<CpuProfile>;
}

export async function runtimeProfiler(dir: string, samplingMicros = 200): Promise<RuntimeProfiler> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const profilePath = join(dir, 'aggregator-runtime.cpuprofile');
  const preload = join(dir, 'preload.mjs');
  await writeFile(preload, preloadSource(profilePath, samplingMicros));
  return {
    nodeOptions: `--import=${preload}`,
    start: (pid) => process.kill(pid, 'SIGUSR2'),
    async stop(pid) {
      process.kill(pid, 'SIGTERM');
      for (let waited = 0; waited < 20_000; waited += 100) {
        const text = await readFile(profilePath, 'utf8').catch(() => undefined);
        if (text?.endsWith('}')) {
          const parsed = JSON.parse(text) as CpuProfile | { error: string };
          if ('error' in parsed) throw new Error(`the runtime's profiler failed: ${parsed.error}`);
          return parsed;
        }
        await sleep(100);
      }
      throw new Error(`the runtime process wrote no profile to ${profilePath}`);
    },
  };
}

/** Where a profile node's code is: native, node:…, a package, or a source file of ours with its line. */
type Locate = (url: string, line: number, column: number) => { file: string; line?: number };

/** A locator that reads each bundle's source map (index.mjs.map beside it) once. */
export async function sourceMapLocator(bundleFiles: readonly string[]): Promise<Locate> {
  const maps = new Map<string, { map: SourceMap; dir: string }>();
  for (const file of bundleFiles) {
    const payload = JSON.parse(await readFile(`${file}.map`, 'utf8')) as SourceMapPayload;
    maps.set(file, { map: new SourceMap(payload), dir: resolve(file, '..') });
  }
  return (url, line, column) => {
    if (url === '') return { file: 'native' };
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    const bundle = maps.get(path);
    if (bundle === undefined) {
      const inRepo = relative(ROOT, path);
      return { file: inRepo.startsWith('..') ? path : inRepo };
    }
    const entry = bundle.map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
    if (entry.originalSource === undefined) return { file: relative(ROOT, path) };
    const source = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : resolve(bundle.dir, entry.originalSource);
    const inRepo = relative(ROOT, source).replace(/^node_modules\/((@[^/]+\/)?[^/]+)\/.*$/, '$1 (package)');
    return { file: inRepo, line: (entry.originalLine ?? 0) + 1 };
  };
}

export interface RuntimeProfileSummary {
  readonly sampledMillis: number;
  /** Idle included: the process waiting for the next invocation. */
  readonly idleShare: number;
  readonly functions: readonly SelfTime[];
  readonly files: readonly SelfTime[];
}

/**
 * Self time by function (at its original file and line, where the map knows it) and by original
 * file or package, busy samples only; "(garbage collector)" and "(program)" (V8 outside JavaScript,
 * the native runtime client included) kept as V8 names them.
 */
export function summarizeRuntimeProfile(
  profile: CpuProfile,
  locate: Locate,
  top = 14,
): RuntimeProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const node = nodes.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (node === undefined || delta <= 0) return;
    const frame = node.callFrame as CpuProfile['nodes'][number]['callFrame'] & { columnNumber?: number };
    // The inspector's own work in this thread (the profiler's start and stop commands) is not the function's.
    if (frame.functionName === 'dispatch' && frame.url === '') return;
    if (frame.functionName === '(idle)') {
      idle += delta;
      return;
    }
    busy += delta;
    if (frame.functionName.startsWith('(')) {
      byFunction.set(frame.functionName, (byFunction.get(frame.functionName) ?? 0) + delta);
      byFile.set(frame.functionName, (byFile.get(frame.functionName) ?? 0) + delta);
      return;
    }
    const where = locate(frame.url, frame.lineNumber, frame.columnNumber ?? 0);
    const name = `${frame.functionName || '(anonymous)'} (${where.file}${where.line ? `:${where.line}` : ''})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
    byFile.set(where.file, (byFile.get(where.file) ?? 0) + delta);
  });
  const ranked = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, share: busy === 0 ? 0 : micros / busy }));
  return {
    sampledMillis: busy / 1000,
    idleShare: busy + idle === 0 ? 0 : idle / (busy + idle),
    functions: ranked(byFunction),
    files: ranked(byFile),
  };
}
