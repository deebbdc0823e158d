import { access } from 'node:fs/promises';

/** Whether something is at `path` (a fetched binary, a cache marker). */
export async function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
