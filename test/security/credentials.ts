/** Something that looks like a credential, where it was found. */
export interface CredentialFinding {
  readonly where: string;
  readonly what: string;
  readonly excerpt: string;
}

interface Rule {
  readonly what: string;
  readonly pattern: RegExp;
  /** False for a match that is evidently not a credential (an interpolation, a placeholder). */
  readonly real?: (match: RegExpExecArray) => boolean;
}

// A value given through code (an interpolation) or shown as a placeholder is not a credential.
const PLACEHOLDER = /^(\$\{.*\}|\*+|<[^>]*>|\{\{.*\}\}|x+|\.\.\.|…)$/i;

/**
 * Rules for files and logs. Built from parts where a literal would match this file itself: the
 * tutorial we started from shipped its database password in its code.
 */
const RULES: readonly Rule[] = [
  { what: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g },
  {
    what: 'an AWS secret access key',
    pattern: /aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}/gi,
  },
  {
    what: 'a private key',
    pattern: new RegExp(['-----BEGIN (?:[A-Z]+ )?PRIVATE', 'KEY-----'].join(' '), 'g'),
  },
  {
    what: 'a password inside a connection URL',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@'"`]+:([^\s/@'"`]+)@/gi,
    real: (match) => !PLACEHOLDER.test(match[1] ?? ''),
  },
  { what: "the tutorial's database password", pattern: new RegExp(['habr', '12345'].join(''), 'g') },
];

/** Rules that test fixtures may break on purpose (a dummy password in a parser's test). */
const PRODUCTION_RULES: readonly Rule[] = [
  {
    what: 'a password, secret or token written as a literal',
    pattern:
      /\b(?:password|passwd|pwd|secret|token|api_?key|private_?key)(?:_?value|_?string)?["']?\s*[:=]\s*["'`]([^"'`\s]{4,})["'`]/gi,
    real: (match) => !PLACEHOLDER.test(match[1] ?? ''),
  },
];

function scan(text: string, where: string, rules: readonly Rule[]): CredentialFinding[] {
  const findings: CredentialFinding[] = [];
  for (const rule of rules) {
    for (const match of text.matchAll(rule.pattern)) {
      const execMatch = match as RegExpExecArray;
      if (rule.real && !rule.real(execMatch)) continue;
      const line = text.slice(0, match.index).split('\n').length;
      findings.push({ where: `${where}:${line}`, what: rule.what, excerpt: match[0].slice(0, 80) });
    }
  }
  return findings;
}

/** Credentials in a source, configuration or documentation file; fixtures under test/ may hold dummies. */
export function findCredentialsInFile(path: string, text: string): CredentialFinding[] {
  const isTest = path.startsWith('test/');
  return scan(text, path, isTest ? RULES : [...RULES, ...PRODUCTION_RULES]);
}

/** Credentials (or the given secrets themselves) in what a process printed. */
export function findCredentialsInLog(output: string, secrets: readonly string[]): CredentialFinding[] {
  const findings = scan(output, 'output', RULES);
  for (const secret of secrets) {
    const index = output.indexOf(secret);
    if (index >= 0) {
      findings.push({
        where: `output:${output.slice(0, index).split('\n').length}`,
        what: 'a secret the process was given',
        excerpt: output.slice(Math.max(0, index - 40), index + secret.length + 10),
      });
    }
  }
  return findings;
}

// Intrinsics (Ref, Fn::…) and dynamic references ({{resolve:secretsmanager:…}}) resolve at deploy
// time and never put the value in the template.
const DYNAMIC_REFERENCE = /^\{\{resolve:(secretsmanager|ssm-secure):/;
// Property and environment variable names (letters only, lower case) that hold a secret value itself;
// SecretArn, SecretName or SecretStringTemplate name or shape a secret without holding it.
const SENSITIVE_KEY =
  /(password|passwd|secretstring|secretvalue|secretaccesskey|token|apikey|privatekey|connectionstring)$/;

/**
 * Credentials in a synthesized CloudFormation template (cdk.out/*.template.json or
 * `Template.fromStack(stack).toJSON()`): a property or environment variable named like a secret
 * with a plain string value, or any string the file rules flag (a URL with a password, a key).
 */
export function findCredentialsInTemplate(template: unknown, where = 'template'): CredentialFinding[] {
  const findings: CredentialFinding[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      for (const finding of scan(value, where, [...RULES, ...PRODUCTION_RULES])) {
        findings.push({ ...finding, where: `${where} ${path}` });
      }
      return;
    }
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, `${path}[${i}]`);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const childPath = path ? `${path}.${key}` : key;
      const name = key.toLowerCase().replace(/[^a-z]/g, '');
      if (
        typeof child === 'string' &&
        child !== '' &&
        SENSITIVE_KEY.test(name) &&
        !DYNAMIC_REFERENCE.test(child)
      ) {
        findings.push({
          where: `${where} ${childPath}`,
          what: `a plain value for ${key}`,
          excerpt: child.slice(0, 80),
        });
      }
      walk(child, childPath);
    }
  };
  walk(template, '');
  return findings;
}
