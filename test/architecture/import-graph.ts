import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

/** A file's imports of the project's own files, as paths from the repository root. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/** A layer that must not import another: `from` is a top-level folder, `to` a list of them. */
export interface LayerRule {
  readonly from: string;
  /** The folders `from` must not import; `*` is every folder but its own. */
  readonly mustNotImport: readonly string[];
}

/** The one-way rule of docs/ARCHITECTURE.md: contracts ← lambda ← local ← bench, and lib beside. */
export const LAYER_RULES: readonly LayerRule[] = [
  { from: 'contracts', mustNotImport: ['*'] },
  { from: 'db', mustNotImport: ['*'] },
  { from: 'lambda', mustNotImport: ['lib', 'local', 'bench'] },
  { from: 'lib', mustNotImport: ['local', 'bench'] },
  { from: 'local', mustNotImport: ['bench'] },
];

/** The folders whose files the rules and the cycle check read. */
export const SOURCE_FOLDERS = ['bin', 'contracts', 'lib', 'lambda', 'local', 'bench', 'db'];

/** Every relative import, static, dynamic or re-export, resolved to the file it names. */
export function importsOf(file: string, text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((imported) => imported.fileName)
    .filter((name) => name.startsWith('./') || name.startsWith('../'))
    .map((name) =>
      normalize(join(dirname(file), name))
        .replace(/\.js$/, '.ts')
        .replace(/\.mjs$/, '.mts'),
    );
}

/** Reads the graph of the TypeScript files under the folders of `root`. */
export function readImportGraph(root: string, folders: readonly string[] = SOURCE_FOLDERS): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const folder of folders) {
    for (const path of readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })) {
      if (!/\.m?ts$/.test(path) || path.endsWith('.d.ts') || path.includes('node_modules')) continue;
      const file = relative(root, join(root, folder, path));
      graph.set(file, importsOf(file, readFileSync(join(root, file), 'utf8')));
    }
  }
  return graph;
}

const topFolder = (file: string): string => file.split('/')[0] ?? file;

/** Each import that breaks a rule, as `from -> to`. */
export function layerViolations(graph: ImportGraph, rules: readonly LayerRule[] = LAYER_RULES): string[] {
  const found: string[] = [];
  for (const [file, imports] of graph) {
    const rule = rules.find((r) => r.from === topFolder(file));
    if (!rule) continue;
    for (const target of imports) {
      const to = topFolder(target);
      const banned = rule.mustNotImport.includes('*') ? to !== rule.from : rule.mustNotImport.includes(to);
      if (banned) found.push(`${file} -> ${target}`);
    }
  }
  return found;
}

/** The import cycles: each strongly connected set of two or more files (Tarjan's algorithm). */
export function importCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || (graph.get(file) ?? []).includes(file)) cycles.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return cycles;
}
