/**
 * How every function of the pipeline is built: the esbuild options CDK's NodejsFunction is given
 * (lib/constructs/common/pipeline-function.ts) and the local runtime's bundler passes to esbuild itself
 * (local/lambda-runtime/bundle.ts), so that what runs locally is the bundle AWS runs. No CDK import here: the
 * local runtime reads it without loading the CDK.
 */
export const FUNCTION_BUNDLING = {
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  // pg and kafkajs are CommonJS and require Node's built-ins; an ES module bundle needs a `require`
  // to give them.
  banner:
    "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // pg loads pg-native only if asked for it; we never do. Everything else, the AWS SDK included, is
  // bundled so the versions that run are the ones the lock file names.
  externalModules: ['pg-native'],
} as const;

/** The file CDK writes an ES module bundle to, and so the module part of every handler setting. */
export const BUNDLE_FILE = 'index.mjs';

/** Every function exports `handler` from its entry point. */
export const HANDLER_EXPORT = 'handler';

/** The `handler` setting of a function (Lambda's `_HANDLER`): module file without extension, export. */
export const LAMBDA_HANDLER = `${BUNDLE_FILE.replace(/\.mjs$/, '')}.${HANDLER_EXPORT}`;
