import { describe, expect, it } from 'vitest';
import { LAMBDA_HANDLER } from '../../../contracts/bundling.js';
import { aggregatorFunction } from '../../../contracts/functions.js';
import { lambdaEnvironment, runtimeNodeFlags } from '../../../local/lambda-runtime/execution-environment.js';

describe('lambdaEnvironment', () => {
  it("sets Lambda's reserved variables from the definition, then its settings, then the local ones", () => {
    const environment = lambdaEnvironment(aggregatorFunction(), '/tmp/task', {
      DATABASE_URL: 'postgres://local',
      DATABASE_POOL_SIZE: '2',
    });

    expect(environment).toMatchObject({
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_TIMEOUT: '60',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      LAMBDA_TASK_ROOT: '/tmp/task',
      _HANDLER: LAMBDA_HANDLER,
      NODE_OPTIONS: '--enable-source-maps',
      DATABASE_URL: 'postgres://local',
      DATABASE_POOL_SIZE: '2',
    });
    // Nothing of the developer's own environment reaches the function but PATH.
    expect(Object.keys(environment)).not.toContain('HOME');
  });
});

describe('runtimeNodeFlags', () => {
  it("caps the heap as Lambda's Node.js bootstrap does: a tenth young, the rest old", () => {
    expect(runtimeNodeFlags(512)).toEqual([
      '--expose-gc',
      '--max-http-header-size=81920',
      '--max-semi-space-size=25',
      '--max-old-space-size=461',
    ]);
  });
});
