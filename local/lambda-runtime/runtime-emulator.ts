import { execFile } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from '../support/fs/cache-dir.js';
import { pathExists } from '../support/fs/path-exists.js';
import { diskFullOr, firstLine, MissingPrerequisite } from '../support/prerequisite.js';
import { sharedUntilFailure } from '../support/shared-until-failure.js';

/**
 * AWS's Lambda Runtime Interface Emulator, the pinned version the Go module proxy serves: the piece
 * of Lambda that starts the runtime, passes it one event at a time over the Runtime API and enforces
 * the timeout. It ships as Go source only, so it is built once into `.cache/`.
 */
export const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator';
export const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';

const execFileAsync = promisify(execFile);
const emulatorDir = () => cacheDir(`aws-lambda-rie-${RIE_VERSION}`);
const binaryPath = () => join(emulatorDir(), 'aws-lambda-rie');

/** The emulator's binary, built on first use with `go install` (about 30 s). */
export const ensureRuntimeEmulator = sharedUntilFailure(build);

/** Resolves when the emulator is built or can be (Go is on PATH); else a MissingPrerequisite. */
export async function runtimeEmulatorPrerequisites(): Promise<void> {
  if (await pathExists(binaryPath())) return;
  await execFileAsync('go', ['version']).catch(() => {
    throw new MissingPrerequisite(
      'go is not on PATH (the Lambda Runtime Interface Emulator is built from source with Go 1.22 or newer, once)',
      'install Go (apt-get install golang-go; macOS: brew install go; or go.dev/dl), then run `npm run rie:fetch`',
    );
  });
}

async function build(log: (line: string) => void): Promise<string> {
  const binary = binaryPath();
  if (await pathExists(binary)) return binary;
  await runtimeEmulatorPrerequisites();
  const dir = emulatorDir();
  log(`Building the Lambda Runtime Interface Emulator ${RIE_VERSION} with go install into ${dir} (once)`);
  // A private GOBIN, moved into place when complete, so a concurrent build never sees half a binary.
  const staging = join(dir, `build.${process.pid}.${Date.now()}`);
  await mkdir(staging, { recursive: true });
  try {
    await execFileAsync('go', ['install', `${RIE_MODULE}/cmd/aws-lambda-rie@${RIE_VERSION}`], {
      env: { ...process.env, GOBIN: staging, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      maxBuffer: 16 * 1024 * 1024,
    });
    await rename(join(staging, 'aws-lambda-rie'), binary);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw diskFullOr(
      new Error(
        `go install of ${RIE_MODULE}@${RIE_VERSION} failed: ${firstLine(stderr) || (error as Error).message}`,
      ),
      dir,
    );
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return binary;
}
