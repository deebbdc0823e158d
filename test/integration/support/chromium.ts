import { execFile } from 'node:child_process';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheDir } from '../../../local/support/fs/cache-dir.js';
import { pathExists } from '../../../local/support/fs/path-exists.js';
import { firstLine, MissingPrerequisite } from '../../../local/support/prerequisite.js';

export interface Chromium {
  readonly executablePath: string;
  readonly args: readonly string[];
}

// Where a Chrome or Chromium of the machine's own is found, in this order (Debian and Ubuntu, Fedora,
// snap, macOS); then the same names on PATH.
const KNOWN_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];
const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];
const NPM_CHROMIUM = '@sparticuz/chromium';
const MANIFEST_DIR = fileURLToPath(new URL('./chromium/', import.meta.url));
// The page's language, whatever the machine's locale: under LANG=C.UTF-8 a headless Chromium reports
// navigator.language as "en-US@posix", which Intl refuses, and the page's charts throw on load.
const LANGUAGE_ARG = '--lang=en-US';
const INSTALL_HINT =
  'install one (apt-get install chromium; dnf install chromium; macOS: brew install --cask chromium) or set CHROMIUM to its path';

/**
 * The browser for the dashboard's browser test: CHROMIUM when set, else a Chrome or Chromium of the
 * machine's own, else (Linux x64) the headless Chromium of the npm package @sparticuz/chromium,
 * installed once into `.cache/` from its own lockfile. None of these: one line naming the install
 * command. Never a skip: a test that needs a browser and has none fails.
 */
export async function findChromium(
  where: { readonly knownPaths: readonly string[]; readonly path: string } = {
    knownPaths: KNOWN_PATHS,
    path: process.env.PATH ?? '',
  },
): Promise<Chromium> {
  const given = process.env.CHROMIUM?.trim();
  if (given) {
    if (await pathExists(given)) return { executablePath: given, args: ['--no-sandbox', LANGUAGE_ARG] };
    throw new MissingPrerequisite(`CHROMIUM=${given} does not exist`, INSTALL_HINT);
  }
  const onPath = where.path
    .split(delimiter)
    .flatMap((dir) => (dir ? NAMES.map((name) => join(dir, name)) : []));
  for (const candidate of [...where.knownPaths, ...onPath]) {
    if (await pathExists(candidate))
      return { executablePath: candidate, args: ['--no-sandbox', LANGUAGE_ARG] };
  }
  if (process.platform === 'linux' && process.arch === 'x64') return npmChromium();
  throw new MissingPrerequisite(
    `no Chrome or Chromium found for the dashboard's browser test (looked in ${KNOWN_PATHS.join(', ')} and PATH)`,
    INSTALL_HINT,
  );
}

/** @sparticuz/chromium, installed into .cache/ on first use (about 10 s, 67 MB), and its launch flags. */
async function npmChromium(): Promise<Chromium> {
  const dir = cacheDir('test-chromium');
  const entry = join(dir, 'node_modules', NPM_CHROMIUM, 'build', 'index.js');
  if (!(await pathExists(entry))) {
    const staging = `${dir}.install.${process.pid}.${Date.now()}`;
    try {
      await mkdir(staging, { recursive: true });
      for (const file of ['package.json', 'package-lock.json']) {
        await copyFile(join(MANIFEST_DIR, file), join(staging, file));
      }
      // --loglevel=error: its engines field names Node 22+, which it does not need to run here.
      await promisify(execFile)('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
        cwd: staging,
        maxBuffer: 16 * 1024 * 1024,
      });
      await rm(dir, { recursive: true, force: true });
      await rename(staging, dir);
    } catch (error) {
      if (!(await pathExists(entry))) {
        const failed = error as { stderr?: string; message?: string };
        throw new MissingPrerequisite(
          `no Chrome or Chromium on this machine, and installing ${NPM_CHROMIUM} failed (${firstLine(failed.stderr ?? '') || failed.message})`,
          INSTALL_HINT,
        );
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const chromium = (
    (await import(entry)) as { default: { executablePath(): Promise<string>; args: string[] } }
  ).default;
  return { executablePath: await chromium.executablePath(), args: [...chromium.args, LANGUAGE_ARG] };
}
