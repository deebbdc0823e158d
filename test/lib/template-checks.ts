/**
 * Whole-template checks: plaintext passwords and IAM wildcards. Each returns what it found, so that
 * a test can show the offending places, and each is itself tested on templates made to fail.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export interface CfnTemplate {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, Json> }>;
  readonly [section: string]: unknown;
}

/** A place in the template and what is wrong there. */
export interface Finding {
  readonly path: string;
  readonly problem: string;
}

const DYNAMIC_SECRET_REFERENCE = '{{resolve:secretsmanager:';
const PASSWORD_KEY = /(password|passwd|pwd)$/i;
const PASSWORD_IN_JSON = /"(password|passwd|pwd)"\s*:\s*"[^"]+"/i;

/** Every string in a value, Fn::Join parts included, joined so that a split reference reads whole. */
function flatten(value: Json): string {
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(flatten).join('');
  return Object.values(value).map(flatten).join('');
}

function walk(value: Json, path: string, visit: (key: string, value: Json, path: string) => void): void {
  if (value === null || typeof value !== 'object') return;
  const entries: [string, Json][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value);
  for (const [key, child] of entries) {
    const childPath = `${path}.${key}`;
    visit(key, child, childPath);
    walk(child, childPath, visit);
  }
}

/**
 * Passwords in the clear: a property named like a password whose value is not a Secrets Manager
 * dynamic reference; a secret given its value instead of generating it; a password inside a JSON
 * string; a Lambda environment variable that holds a password or resolves a secret (the function's
 * configuration would then show it to anyone who may read it).
 */
export function findPlaintextPasswords(template: CfnTemplate): Finding[] {
  const findings: Finding[] = [];
  walk(template as unknown as Json, '$', (key, value, path) => {
    if (typeof value === 'string' && PASSWORD_IN_JSON.test(value)) {
      findings.push({ path, problem: 'a JSON string with a password in it' });
    }
    if (PASSWORD_KEY.test(key) && !flatten(value).includes(DYNAMIC_SECRET_REFERENCE)) {
      findings.push({ path, problem: `${key} is not a Secrets Manager dynamic reference` });
    }
  });
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const properties = resource.Properties ?? {};
    if (resource.Type === 'AWS::SecretsManager::Secret' && properties.SecretString !== undefined) {
      findings.push({
        path: `$.Resources.${id}`,
        problem: 'a secret with a given SecretString (not generated)',
      });
    }
    if (resource.Type === 'AWS::Lambda::Function') {
      const variables =
        (properties.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {};
      for (const [name, value] of Object.entries(variables)) {
        if (/PASSWORD|PASSWD/i.test(name) || flatten(value).includes(DYNAMIC_SECRET_REFERENCE)) {
          findings.push({
            path: `$.Resources.${id}.Properties.Environment.Variables.${name}`,
            problem: 'a password in a function environment (pass the secret ARN instead)',
          });
        }
      }
    }
  }
  return findings;
}

/**
 * Actions that accept no resource but `*` (the IAM service authorization reference lists no
 * resource types for them). A statement on `*` may grant these and nothing else.
 */
export const ACTIONS_WITHOUT_RESOURCE_LEVEL = new Set([
  'ec2:DescribeVpcs',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSubnets',
  'ec2:DescribeNetworkInterfaces',
]);

interface Statement {
  readonly Effect?: string;
  readonly Action?: Json;
  readonly Resource?: Json;
}

function asList(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Identity policies (what a role may do). Resource policies, where `*` means "this resource", are not. */
function identityStatements(template: CfnTemplate): { path: string; statement: Statement }[] {
  const found: { path: string; statement: Statement }[] = [];
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    const properties = resource.Properties ?? {};
    const documents: [string, Json | undefined][] = [];
    if (resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push([`$.Resources.${id}.Properties.PolicyDocument`, properties.PolicyDocument]);
    }
    if (resource.Type === 'AWS::IAM::Role') {
      asList(properties.Policies).forEach((policy, i) => {
        documents.push([
          `$.Resources.${id}.Properties.Policies.${i}.PolicyDocument`,
          (policy as { PolicyDocument?: Json }).PolicyDocument,
        ]);
      });
    }
    for (const [path, document] of documents) {
      asList((document as { Statement?: Json } | undefined)?.Statement).forEach((statement, i) => {
        found.push({ path: `${path}.Statement.${i}`, statement: statement as Statement });
      });
    }
  }
  return found;
}

/**
 * IAM grants on `*` where an ARN is known: an Allow on `*` with an action outside
 * ACTIONS_WITHOUT_RESOURCE_LEVEL, or a Kafka grant whose ARN has a wildcard in it (the cluster,
 * topic and group ARNs are all known).
 */
export function findWildcardResources(template: CfnTemplate): Finding[] {
  const findings: Finding[] = [];
  for (const { path, statement } of identityStatements(template)) {
    if (statement.Effect !== 'Allow') continue;
    const actions = asList(statement.Action).map(String);
    const resources = asList(statement.Resource);
    if (resources.some((r) => r === '*')) {
      const scopable = actions.filter((a) => !ACTIONS_WITHOUT_RESOURCE_LEVEL.has(a));
      if (scopable.length > 0) findings.push({ path, problem: `Resource "*" for ${scopable.join(', ')}` });
    }
    if (actions.some((a) => a.startsWith('kafka-cluster:') || a.startsWith('kafka:'))) {
      for (const resource of resources) {
        if (resource !== '*' && flatten(resource).includes('*')) {
          findings.push({ path, problem: `a wildcard in a Kafka resource: ${JSON.stringify(resource)}` });
        }
      }
    }
  }
  return findings;
}

interface PolicyStatementJson {
  readonly Effect?: string;
  readonly Principal?: Json;
  readonly Action?: Json;
  readonly Resource?: Json;
  readonly Condition?: Record<string, Record<string, Json>>;
}

function statementsOf(document: Json | undefined): PolicyStatementJson[] {
  return asList((document as { Statement?: Json } | undefined)?.Statement) as PolicyStatementJson[];
}

const refTo = (value: Json | undefined): string | undefined =>
  (value as { Ref?: string } | null | undefined)?.Ref;

/**
 * An Allow for the CloudWatch service of `actions`; `scoped`: only with aws:SourceAccount or
 * aws:SourceArn (a topic policy, against the confused deputy).
 */
function allowsCloudWatch(
  statement: PolicyStatementJson,
  actions: readonly string[],
  { scoped }: { scoped: boolean },
): boolean {
  if (statement.Effect !== 'Allow') return false;
  const services = asList((statement.Principal as { Service?: Json } | null | undefined)?.Service);
  if (!services.includes('cloudwatch.amazonaws.com')) return false;
  const granted = asList(statement.Action).map((a) => String(a).toLowerCase());
  const covers = (action: string) =>
    granted.some(
      (g) =>
        g === action.toLowerCase() || (g.endsWith('*') && action.toLowerCase().startsWith(g.slice(0, -1))),
    );
  const conditionKeys = Object.values(statement.Condition ?? {}).flatMap((c) => Object.keys(c));
  const hasScope = conditionKeys.some((k) => /^aws:Source(Account|Arn)$/i.test(k));
  return actions.every(covers) && (hasScope || !scoped);
}

/**
 * Alarm actions CloudWatch could not deliver. A topic with an AWS::SNS::TopicPolicy has that policy
 * instead of SNS's default one, so it must allow the CloudWatch service to publish (scoped to alarms
 * of one account); a topic encrypted with a key of the template needs that key to let CloudWatch
 * encrypt the message (kms:Decrypt, kms:GenerateDataKey*).
 */
export function findUndeliverableAlarmActions(template: CfnTemplate): Finding[] {
  const resources = template.Resources ?? {};
  const policiesOf = (topicId: string) =>
    Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::SNS::TopicPolicy' && asList(r.Properties?.Topics).some((t) => refTo(t) === topicId),
    );
  const findings: Finding[] = [];
  for (const [id, alarm] of Object.entries(resources)) {
    if (alarm.Type !== 'AWS::CloudWatch::Alarm') continue;
    for (const kind of ['AlarmActions', 'OKActions', 'InsufficientDataActions']) {
      asList(alarm.Properties?.[kind]).forEach((action, i) => {
        const path = `$.Resources.${id}.Properties.${kind}.${i}`;
        const topicId = refTo(action);
        const topic = topicId ? resources[topicId] : undefined;
        if (!topicId || topic?.Type !== 'AWS::SNS::Topic') {
          findings.push({ path, problem: 'not a topic of this template: its policy cannot be checked' });
          return;
        }
        const policies = policiesOf(topicId);
        const published = policies.some((p) =>
          statementsOf(p.Properties?.PolicyDocument).some((s) =>
            allowsCloudWatch(s, ['sns:Publish'], { scoped: true }),
          ),
        );
        if (policies.length > 0 && !published) {
          findings.push({
            path,
            problem: `topic ${topicId} has a policy that lets no CloudWatch alarm publish`,
          });
        }
        const keyId = (topic.Properties?.KmsMasterKeyId as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
          'Fn::GetAtt'
        ]?.[0];
        const key = keyId ? resources[keyId] : undefined;
        if (
          key &&
          !statementsOf(key.Properties?.KeyPolicy).some((s) =>
            allowsCloudWatch(s, ['kms:Decrypt', 'kms:GenerateDataKey'], { scoped: false }),
          )
        ) {
          findings.push({
            path,
            problem: `the key ${keyId} of topic ${topicId} does not let CloudWatch use it`,
          });
        }
      });
    }
  }
  return findings;
}

/**
 * MSK's "Required actions" column (MSK developer guide, "Semantics of IAM authorization policy
 * actions and resources"): an action in the left column works only with those on its right.
 */
export const KAFKA_REQUIRED_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'kafka-cluster:DescribeCluster': ['kafka-cluster:Connect'],
  'kafka-cluster:AlterCluster': ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
  'kafka-cluster:DescribeClusterDynamicConfiguration': ['kafka-cluster:Connect'],
  'kafka-cluster:AlterClusterDynamicConfiguration': [
    'kafka-cluster:Connect',
    'kafka-cluster:DescribeClusterDynamicConfiguration',
  ],
  'kafka-cluster:WriteDataIdempotently': ['kafka-cluster:Connect', 'kafka-cluster:WriteData'],
  'kafka-cluster:CreateTopic': ['kafka-cluster:Connect'],
  'kafka-cluster:DescribeTopic': ['kafka-cluster:Connect'],
  'kafka-cluster:AlterTopic': ['kafka-cluster:Connect', 'kafka-cluster:DescribeTopic'],
  'kafka-cluster:DeleteTopic': ['kafka-cluster:Connect', 'kafka-cluster:DescribeTopic'],
  'kafka-cluster:DescribeTopicDynamicConfiguration': ['kafka-cluster:Connect'],
  'kafka-cluster:AlterTopicDynamicConfiguration': [
    'kafka-cluster:Connect',
    'kafka-cluster:DescribeTopicDynamicConfiguration',
  ],
  'kafka-cluster:ReadData': [
    'kafka-cluster:Connect',
    'kafka-cluster:DescribeTopic',
    'kafka-cluster:AlterGroup',
  ],
  'kafka-cluster:WriteData': ['kafka-cluster:Connect', 'kafka-cluster:DescribeTopic'],
  'kafka-cluster:DescribeGroup': ['kafka-cluster:Connect'],
  'kafka-cluster:AlterGroup': ['kafka-cluster:Connect', 'kafka-cluster:DescribeGroup'],
  'kafka-cluster:DeleteGroup': ['kafka-cluster:Connect', 'kafka-cluster:DescribeGroup'],
  'kafka-cluster:DescribeTransactionalId': ['kafka-cluster:Connect'],
  'kafka-cluster:AlterTransactionalId': [
    'kafka-cluster:Connect',
    'kafka-cluster:DescribeTransactionalId',
    'kafka-cluster:WriteData',
  ],
};

/** Kafka actions a role is allowed without the actions MSK requires alongside them. */
export function findMissingKafkaRequiredActions(template: CfnTemplate): Finding[] {
  const byRole = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const allowed = statementsOf(resource.Properties?.PolicyDocument)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => asList(s.Action).map(String));
    for (const role of asList(resource.Properties?.Roles).map((r) => refTo(r) ?? id)) {
      const actions = byRole.get(role) ?? new Set<string>();
      for (const action of allowed) actions.add(action);
      byRole.set(role, actions);
    }
  }
  const findings: Finding[] = [];
  for (const [role, actions] of byRole) {
    for (const action of actions) {
      const missing = (KAFKA_REQUIRED_ACTIONS[action] ?? []).filter((r) => !actions.has(r));
      if (missing.length > 0) {
        findings.push({ path: `$.Resources.${role}`, problem: `${action} without ${missing.join(', ')}` });
      }
    }
  }
  return findings;
}
