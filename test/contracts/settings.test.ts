import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, stackConsumerGroupId } from '../../contracts/settings.js';

const DEPLOY_MD = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'DEPLOY.md'), 'utf8');

/** docs/DEPLOY.md's table of settings: each row's context keys and its default cell. */
function documentedSettings(): Map<string, string> {
  const lines = DEPLOY_MD.split('\n');
  const start = lines.findIndex((line) => /^\| Key \| Default \| Meaning \|$/.test(line));
  expect(start, 'docs/DEPLOY.md has a "| Key | Default | Meaning |" table').toBeGreaterThan(0);
  const rows = new Map<string, string>();
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    const [keys = '', defaultCell = ''] = line
      .split('|')
      .slice(1)
      .map((cell) => cell.trim());
    for (const key of keys.matchAll(/`([A-Za-z]+)`/g)) rows.set(key[1] ?? '', defaultCell);
  }
  return rows;
}

/** Every setting's context key and default, from the data: the groups flattened. */
function settingDefaults(): Map<string, unknown> {
  const { stackName, ...groups } = DEFAULT_SETTINGS;
  const entries: [string, unknown][] = [['stackName', stackName]];
  for (const group of Object.values(groups)) {
    for (const [key, value] of Object.entries(group)) {
      // Provisioned mode is two context keys that go together.
      if (key === 'provisionedPollers') entries.push(['minimumPollers', value], ['maximumPollers', value]);
      else entries.push([key, value]);
    }
  }
  return new Map(entries);
}

/** The defaults that follow another setting: the table says what they follow. */
const DERIVED: Readonly<Record<string, string>> = {
  brokerCount: 'the zone count',
  kafkaRetentionHours: `\`${DEFAULT_SETTINGS.streaming.kafkaRetentionHours}\``,
  aggregatorReservedConcurrency: '`topicPartitions`',
  consumerGroupId: `\`${stackConsumerGroupId('<stackName>')}\``,
};

describe("docs/DEPLOY.md's table of settings", () => {
  it('lists every setting, and only settings', () => {
    expect([...documentedSettings().keys()].sort()).toEqual([...settingDefaults().keys()].sort());
  });

  it.each([...settingDefaults()])('gives %s its default', (key, value) => {
    const cell = documentedSettings().get(key) ?? '';
    const derived = DERIVED[key];
    if (derived !== undefined) expect(cell).toContain(derived);
    else if (value === undefined || (Array.isArray(value) && value.length === 0)) expect(cell).toBe('none');
    else expect(/`([^`]*)`/.exec(cell)?.[1], cell).toBe(String(value));
  });
});
