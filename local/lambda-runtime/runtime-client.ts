import { execFile } from 'node:child_process';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheDir } from '../support/fs/cache-dir.js';
import { pathExists } from '../support/fs/path-exists.js';
import { diskFullOr, MissingPrerequisite } from '../support/prerequisite.js';
import { sharedUntilFailure } from '../support/shared-until-failure.js';
import {
  ensureFunctionNode,
  FUNCTION_NODE_VERSION,
  functionNodeDir,
  functionNodePrerequisites,
} from './function-node.js';

/**
 * AWS's Node.js runtime interface client, the version local/lambda-runtime/runtime-client/package.json pins
 * (a unit test holds the two equal). It compiles curl and aws-lambda-cpp from source when installed
 * (a C++ toolchain, make, cmake; about a minute), which would put a compiler on `npm ci`'s critical
 * path and fail it wherever there is none. So it is built here, once, into `.cache/`, from its own
 * lockfile, on the functions' Node.js 24 (its engines field wants 22 or newer) and that Node's headers.
 */
export const RUNTIME_CLIENT_VERSION = '4.0.2';

const execFileAsync = promisify(execFile);
const manifestDir = fileURLToPath(new URL('./runtime-client/', import.meta.url));
const clientDir = () => cacheDir(`aws-lambda-ric-${RUNTIME_CLIENT_VERSION}`);
const packageDir = () => join(clientDir(), 'node_modules', 'aws-lambda-ric');
// Copied to the package's root by its postinstall, last: where it is, the build is complete.
const addon = () => join(packageDir(), 'rapid-client.node');
const BUILD_TOOLS = ['c++', 'make', 'cmake'] as const;

/** The runtime client's entry point (what the emulator runs), built on first use. */
export const ensureRuntimeClient = sharedUntilFailure(build);

/**
 * Resolves when the client is built or can be (Linux, a C++ toolchain, make, cmake, and Node.js 24 or
 * pip to fetch it); else a MissingPrerequisite.
 */
export async function runtimeClientPrerequisites(): Promise<void> {
  if (await pathExists(addon())) return;
  if (process.platform !== 'linux') {
    throw new MissingPrerequisite(
      `AWS's Lambda runtime client (aws-lambda-ric) builds its native client on Linux only, not ${process.platform}`,
      'run on Linux (or in a Linux VM) for the Lambda runtime; `npm start -- --in-process` runs the handlers here',
    );
  }
  for (const tool of BUILD_TOOLS) {
    await execFileAsync(tool, ['--version']).catch(() => {
      throw new MissingPrerequisite(
        `${tool} is not on PATH (aws-lambda-ric builds its native client with a C++ toolchain, make and cmake)`,
        'install them (apt-get install build-essential cmake; dnf install gcc-c++ make cmake), then run `npm run rie:fetch`',
      );
    });
  }
  await functionNodePrerequisites();
}

async function build(log: (line: string) => void): Promise<string> {
  const entryPoint = join(packageDir(), 'index.mjs');
  if (await pathExists(addon())) return entryPoint;
  await runtimeClientPrerequisites();
  const node = await ensureFunctionNode(log);
  const dir = clientDir();
  log(
    `Building AWS's Lambda runtime interface client (aws-lambda-ric ${RUNTIME_CLIENT_VERSION}) for Node.js ` +
      `${FUNCTION_NODE_VERSION} into ${dir} (once, about a minute)`,
  );
  // Built in a folder of its own and moved into place when complete: a concurrent build never sees half.
  const staging = `${dir}.build.${process.pid}.${Date.now()}`;
  const logFile = `${dir}.log`;
  try {
    await mkdir(staging, { recursive: true });
    for (const file of ['package.json', 'package-lock.json']) {
      await copyFile(join(manifestDir, file), join(staging, file));
    }
    // The npm that runs this (npm run rie:fetch, npm start), else the one on PATH, on Node.js 24:
    // node-gyp then builds for that Node from its headers (no download), and no EBADENGINE warning.
    const npm = process.env.npm_execpath;
    const [command, args] = npm?.endsWith('.js') ? [node, [npm]] : ['npm', []];
    const output = await execFileAsync(command, [...args, 'ci', '--no-audit', '--no-fund'], {
      cwd: staging,
      env: {
        ...process.env,
        PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}`,
        npm_config_nodedir: functionNodeDir(),
      },
      maxBuffer: 64 * 1024 * 1024,
    }).catch(async (error: unknown) => {
      const failed = error as { stdout?: string; stderr?: string; code?: number };
      await writeFile(logFile, `${failed.stdout ?? ''}\n${failed.stderr ?? ''}`).catch(() => undefined);
      const reason = lastErrorLine(`${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
      throw diskFullOr(
        new Error(
          `building aws-lambda-ric ${RUNTIME_CLIENT_VERSION} failed (${reason || `exit code ${failed.code}`}); ` +
            `its output is in ${logFile}`,
        ),
        dir,
      );
    });
    await writeFile(logFile, `${output.stdout}\n${output.stderr}`);
    if (!(await pathExists(join(staging, 'node_modules', 'aws-lambda-ric', 'rapid-client.node')))) {
      throw new Error(
        `building aws-lambda-ric ${RUNTIME_CLIENT_VERSION} left no native client; see ${logFile}`,
      );
    }
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    // Another process finished the same build first: its result is as good.
    if (await pathExists(addon())) return entryPoint;
    throw diskFullOr(error, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return entryPoint;
}

/** The line of a failed build that says why: the last that reads like an error. */
function lastErrorLine(output: string): string {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return [...lines].reverse().find((line) => /error|not found|no space/i.test(line)) ?? lines.at(-1) ?? '';
}
