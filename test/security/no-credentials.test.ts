import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCredentialsInFile, findCredentialsInLog, findCredentialsInTemplate } from './credentials.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAX_BYTES = 2 * 1024 * 1024;

/** Every file git would commit (tracked, or new and not ignored), as text; lock files and binaries aside. */
function repositoryFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\0')
    .filter((path) => path !== '' && !path.endsWith('package-lock.json') && existsSync(join(ROOT, path)))
    .filter((path) => statSync(join(ROOT, path)).size <= MAX_BYTES)
    .filter((path) => !readFileSync(join(ROOT, path)).includes(0));
}

/** Synthesized templates, when `npm run synth` has made them (cdk.out is git-ignored). */
function synthesizedTemplates(): string[] {
  const out = join(ROOT, 'cdk.out');
  if (!existsSync(out)) return [];
  return readdirSync(out)
    .filter((name) => name.endsWith('.template.json'))
    .map((name) => join('cdk.out', name));
}

describe('no credentials in code, configuration, documentation or templates', () => {
  it('finds none in any file of the repository, nor in the templates cdk.out holds', () => {
    // Prepare
    const files = repositoryFiles();
    const templates = synthesizedTemplates();

    // Act
    const findings = [
      ...files.flatMap((path) => findCredentialsInFile(path, readFileSync(join(ROOT, path), 'utf8'))),
      ...templates.flatMap((path) =>
        findCredentialsInTemplate(JSON.parse(readFileSync(join(ROOT, path), 'utf8')), path),
      ),
    ];

    // Assess
    expect(findings).toEqual([]);
    expect(files.length).toBeGreaterThan(40);
  });

  it('catches what the rules are for, and leaves interpolations, placeholders, ARNs and dynamic references alone', () => {
    // Prepare: samples built from parts, so that this file itself holds none.
    const accessKey = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
    const url = ['postgres://postgres:', 'hunter22', '@db.example.com/treasury'].join('');
    const literal = ['password', ": 'hunter22'"].join('');
    const template = {
      Resources: {
        Database: { Properties: { MasterUserPassword: ['hunter', '22'].join('') } },
        Function: {
          Properties: { Environment: { Variables: { DATABASE_URL: url, DATABASE_SECRET_ARN: 'arn:x' } } },
        },
        Secret: { Properties: { SecretStringTemplate: '{"username":"treasury_aggregator"}' } },
        Cluster: {
          Properties: { MasterUserPassword: '{{resolve:secretsmanager:arn:x:SecretString:password::}}' },
        },
      },
    };

    // Act
    const inCode = findCredentialsInFile('lambda/x.ts', `${accessKey}\n${url}\n${literal}`);
    const inTest = findCredentialsInFile('test/x.test.ts', literal);
    const fine = findCredentialsInFile(
      'lambda/y.ts',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of code that interpolates
      'const url = `postgres://postgres:${password}@127.0.0.1:${port}/treasury`;\nredacted: //u:***@h',
    );
    const inTemplate = findCredentialsInTemplate(template);
    const inLog = findCredentialsInLog(`connect failed for ${url}`, ['hunter22']);

    // Assess
    expect(inCode.map((f) => f.what)).toEqual([
      'an AWS access key id',
      'a password inside a connection URL',
      'a password, secret or token written as a literal',
    ]);
    expect(inTest).toEqual([]);
    expect(fine).toEqual([]);
    expect(inTemplate.map((f) => f.where)).toEqual([
      'template Resources.Database.Properties.MasterUserPassword',
      'template Resources.Function.Properties.Environment.Variables.DATABASE_URL',
    ]);
    expect(inLog.map((f) => f.what)).toEqual([
      'a password inside a connection URL',
      'a secret the process was given',
    ]);
  });
});
