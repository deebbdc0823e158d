import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_FILE, FUNCTION_BUNDLING } from '../../contracts/bundling.js';
import type { FunctionDefinition } from '../../contracts/functions.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLES_DIR = join(ROOT, '.cache', 'lambda');

/**
 * Bundles a function as CDK's NodejsFunction does with FUNCTION_BUNDLING (the esbuild command it
 * runs: --bundle --platform=node and the same target, format, main fields, banner, minification,
 * source map and externals), into `.cache/lambda/<name>/`. Returns that folder: the task root.
 * test/lib/bundling.test.ts holds this bundle byte-equal to the asset `cdk synth` stages.
 */
export async function bundleFunction(definition: FunctionDefinition, outDir?: string): Promise<string> {
  const taskRoot = outDir ?? join(BUNDLES_DIR, definition.name);
  await build({
    entryPoints: [join(ROOT, definition.entry)],
    outfile: join(taskRoot, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    target: FUNCTION_BUNDLING.target,
    format: FUNCTION_BUNDLING.format,
    mainFields: [...FUNCTION_BUNDLING.mainFields],
    banner: { js: FUNCTION_BUNDLING.banner },
    minify: FUNCTION_BUNDLING.minify,
    sourcemap: FUNCTION_BUNDLING.sourceMap,
    sourcesContent: FUNCTION_BUNDLING.sourcesContent,
    external: [...FUNCTION_BUNDLING.externalModules],
    logLevel: 'silent',
  });
  return taskRoot;
}
