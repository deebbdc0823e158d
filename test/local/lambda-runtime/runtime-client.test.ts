import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { RUNTIME_CLIENT_VERSION } from '../../../local/lambda-runtime/runtime-client.js';

const manifestDir = new URL('../../../local/lambda-runtime/runtime-client/', import.meta.url);

describe('the runtime interface client built into .cache/', () => {
  it('is the version its manifest and its lockfile pin, exactly', async () => {
    const manifest = JSON.parse(await readFile(new URL('package.json', manifestDir), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const lock = JSON.parse(await readFile(new URL('package-lock.json', manifestDir), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    };

    expect(manifest.dependencies['aws-lambda-ric']).toBe(RUNTIME_CLIENT_VERSION);
    expect(lock.packages['node_modules/aws-lambda-ric']?.version).toBe(RUNTIME_CLIENT_VERSION);
  });

  it('is no dependency of the project: npm ci compiles nothing', async () => {
    const project = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };

    expect(Object.keys({ ...project.dependencies, ...project.devDependencies })).not.toContain(
      'aws-lambda-ric',
    );
  });
});
