import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_FILE } from '../../contracts/bundling.js';
import { aggregatorFunction, producerFunction, recoveryFunction } from '../../contracts/functions.js';
import { PROJECT_ROOT } from '../../lib/constructs/common/pipeline-function.js';
import { bundleFunction } from '../../local/lambda-runtime/bundle.js';
import { synthesize } from './synth.js';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** The staged asset folder of the function with this description. */
function assetOf(outdir: string, resources: Resources, description: RegExp): string {
  const fn = Object.values(resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && description.test(String(r.Properties.Description)),
  );
  const key = String((fn?.Properties.Code as { S3Key?: unknown } | undefined)?.S3Key);
  return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

/**
 * Imports a bundle in a plain Node.js process, as Lambda does, with the environment the stack gives
 * it, and answers the type of its `handler` export: module-load configuration and every import run.
 */
function loadHandler(bundle: string, environment: Record<string, string>): string {
  const url = pathToFileURL(join(bundle, 'index.mjs')).href;
  const run = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`,
    ],
    { encoding: 'utf8', env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', ...environment } },
  );
  if (run.status !== 0) throw new Error(`loading ${url} failed:\n${run.stderr}`);
  return run.stdout.trim();
}

// The one test that runs esbuild for real (all four functions of the stack, as `cdk synth` does).
describe('bundling', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'treasury-bundle-'));
  let resources: Resources;
  let elapsedMs: number;

  beforeAll(() => {
    const started = performance.now();
    const { app } = synthesize({ bundle: true, outdir });
    resources = app.synth().stacks[0]?.template.Resources as Resources;
    elapsedMs = performance.now() - started;
  }, 180_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('bundles the aggregator and the producer into ES modules that load with their configuration', () => {
    const aggregator = assetOf(outdir, resources, /^Aggregates MSK batches/);
    const producer = assetOf(outdir, resources, /^Sends random deals/);

    const handlers = [
      loadHandler(aggregator, {
        DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:aggregator-AbCdEf',
        METRICS_NAMESPACE: 'TreasuryStream/Test',
      }),
      loadHandler(producer, {
        MSK_CLUSTER_ARN: 'arn:aws:kafka:eu-west-1:111122223333:cluster/c/0000-1',
        TOPIC: 'transaction',
      }),
    ];

    expect(handlers).toEqual(['function', 'function']);
    for (const bundle of [aggregator, producer]) {
      expect(existsSync(join(bundle, 'index.mjs.map'))).toBe(true);
      // pg's optional native binding stays out; everything else, the AWS SDK included, is inside.
      expect(existsSync(join(bundle, 'node_modules'))).toBe(false);
      expect(statSync(join(bundle, 'index.mjs')).size).toBeLessThan(5 * 1024 * 1024);
    }
    console.info(`synth with bundling: ${Math.round(elapsedMs)} ms`);
  });

  it('builds locally, for the Lambda runtime emulator, the very bundle CDK stages', async () => {
    const functions = [
      { definition: aggregatorFunction(), description: /^Aggregates MSK batches/ },
      {
        definition: producerFunction({ ratePerSecond: 1, durationSeconds: 1 }),
        description: /^Sends random deals/,
      },
      // The recovery is npm run recover's code; what runs in AWS is this bundle.
      { definition: recoveryFunction(), description: /^Recovers the offsets/ },
    ];
    for (const { definition, description } of functions) {
      const local = await bundleFunction(definition, join(outdir, `local-${definition.name}`));

      const staged = readFileSync(join(assetOf(outdir, resources, description), BUNDLE_FILE));

      expect(readFileSync(join(local, BUNDLE_FILE)).equals(staged), definition.name).toBe(true);
    }
  });

  it('ships db/migrations beside the migrator', () => {
    const migrator = assetOf(outdir, resources, /^Applies db\/migrations/);
    const source = join(PROJECT_ROOT, 'db', 'migrations');

    const shipped = readdirSync(join(migrator, 'migrations'));

    expect(shipped).toEqual(readdirSync(source));
    for (const name of shipped) {
      expect(readFileSync(join(migrator, 'migrations', name), 'utf8')).toBe(
        readFileSync(join(source, name), 'utf8'),
      );
    }
    const handler = loadHandler(migrator, {
      ADMIN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:admin-AbCdEf',
      AGGREGATOR_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:aggregator-AbCdEf',
      READER_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:reader-AbCdEf',
    });
    expect(handler).toBe('function');
  });
});
