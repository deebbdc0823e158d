import { mkdir, mkdtemp, readdir, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathExists } from '../../../local/support/fs/path-exists.js';

/**
 * This process's PATH as a machine without `tools` has it: each folder that holds one of them is
 * replaced by a folder of links to everything else in it (on a merged /usr, /bin holds them too).
 */
export async function pathWithout(tools: readonly string[]): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'path-without-'));
  const folders = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const result: string[] = [];
  for (const [index, folder] of folders.entries()) {
    const holds = await Promise.all(tools.map((tool) => pathExists(join(folder, tool))));
    if (!holds.includes(true)) {
      result.push(folder);
      continue;
    }
    const shim = join(root, String(index));
    await mkdir(shim);
    for (const entry of await readdir(folder)) {
      if (!tools.includes(entry)) await symlink(join(folder, entry), join(shim, entry));
    }
    result.push(shim);
  }
  return result.join(delimiter);
}
