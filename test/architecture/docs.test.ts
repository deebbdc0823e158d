import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** Where an issue tracker's number stands for what the text should say: "(issue 8)", "issue #12". */
function issueNumbers(text: string): string[] {
  return [...text.matchAll(/\b[Ii]ssues? ?#?\d+\b/g)].map((match) => match[0]);
}

describe('the documentation', () => {
  it('finds an issue number where one is written', () => {
    expect(issueNumbers('refused (issue 8) and issue #12, not issues')).toEqual(['issue 8', 'issue #12']);
  });

  it.each(DOCS)('%s says what it means instead of naming an issue by number', (path) => {
    expect(issueNumbers(readFileSync(join(ROOT, path), 'utf8'))).toEqual([]);
  });
});
