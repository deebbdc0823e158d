import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { synthesize } from './synth.js';

// .ci/cfn-lint.sh installs cfn-lint and always runs it in CI; here it runs when it is installed.
const cfnLintInstalled = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * The checks left out, as in .ci/cfn-lint.sh. W3005: aws-cdk-lib makes every function depend on its
 * role explicitly, which cfn-lint reports as redundant with the role's GetAtt.
 */
const IGNORED_CHECKS = ['W3005'];

describe('cfn-lint', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'treasury-cfn-lint-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it.runIf(cfnLintInstalled)('reports neither errors nor warnings on the synthesized template', () => {
    const { app } = synthesize({ outdir, context: { minimumPollers: '1', maximumPollers: '2' } });
    const templates = app.synth().stacks.map((s) => s.templateFullPath);
    const { app: defaults } = synthesize({ outdir: join(outdir, 'defaults') });
    templates.push(...defaults.synth().stacks.map((s) => s.templateFullPath));

    const lint = spawnSync('cfn-lint', ['--ignore-checks', ...IGNORED_CHECKS, '--', ...templates], {
      encoding: 'utf8',
    });

    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });
});
