import { execFile } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pathExists } from '../fs/path-exists.js';
import { sharedUntilFailure } from '../shared-until-failure.js';

/**
 * AWS's Lambda Runtime Interface Emulator, the pinned version the Go module proxy serves: the piece
 * of Lambda that starts the runtime, passes it one event at a time over the Runtime API and enforces
 * the timeout. It ships as Go source only, so it is built once into `.cache/`.
 */
export const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator';
export const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';

const execFileAsync = promisify(execFile);
const cacheDir = fileURLToPath(new URL(`../../.cache/aws-lambda-rie-${RIE_VERSION}/`, import.meta.url));
const binaryPath = join(cacheDir, 'aws-lambda-rie');
const NO_GO_HINT =
  'The Lambda Runtime Interface Emulator is built from source with Go 1.22 or newer, once: install Go ' +
  '(apt-get install golang-go, or the tarball from go.dev) and put `go` on PATH, then run `npm run rie:fetch`.';

/** The emulator's binary, built on first use with `go install` (about 30 s). */
export const ensureRuntimeEmulator = sharedUntilFailure(build);

async function build(log: (line: string) => void): Promise<string> {
  if (await pathExists(binaryPath)) return binaryPath;
  try {
    await execFileAsync('go', ['version']);
  } catch {
    throw new Error(`go is not on PATH. ${NO_GO_HINT}`);
  }
  log(
    `Building the Lambda Runtime Interface Emulator ${RIE_VERSION} with go install into ${cacheDir} (once)`,
  );
  // A private GOBIN, moved into place when complete, so a concurrent build never sees half a binary.
  const staging = join(cacheDir, `build.${process.pid}.${Date.now()}`);
  await mkdir(staging, { recursive: true });
  try {
    await execFileAsync('go', ['install', `${RIE_MODULE}/cmd/aws-lambda-rie@${RIE_VERSION}`], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
    await rename(join(staging, 'aws-lambda-rie'), binaryPath);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `go install of ${RIE_MODULE}@${RIE_VERSION} failed: ${stderr || (error as Error).message}`,
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binaryPath;
}
