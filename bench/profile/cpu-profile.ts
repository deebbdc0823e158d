/** A V8 CPU profile (.cpuprofile) summarized by self time per function and per source file. Pure. */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

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
