import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY_CACHE = fileURLToPath(new URL('../../../.cache/', import.meta.url));

/**
 * A folder under the cache of what is fetched or built once (Kafka, the runtime emulator, Node.js 24,
 * the runtime client): `.cache/` at the repository's root, or TREASURY_CACHE_DIR. Read on each call:
 * the prerequisite tests point it at an empty folder to be a fresh machine without some tool.
 */
export function cacheDir(name: string): string {
  return join(process.env.TREASURY_CACHE_DIR?.trim() || REPOSITORY_CACHE, name);
}
