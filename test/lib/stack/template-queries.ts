/** Queries over a synthesized template that the stack's tests share. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';

export type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; DependsOn?: string[] }
>;

/** The logical id a `{ "Fn::GetAtt": [id, attr] }` or `{ "Ref": id }` points at. */
export function target(reference: unknown): string | undefined {
  const r = reference as { 'Fn::GetAtt'?: [string, string]; Ref?: string } | undefined;
  return r?.['Fn::GetAtt']?.[0] ?? r?.Ref;
}

export function only<T>(items: Record<string, T>): [string, T] {
  const entries = Object.entries(items);
  expect(entries).toHaveLength(1);
  return entries[0] as [string, T];
}

export function functionIdByEntry(template: Template, description: RegExp): string {
  const [id] = only(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp(description.source) },
    }),
  );
  return id;
}

export function functionByEntry(template: Template, description: RegExp): Resources[string] {
  const fn = (template.findResources('AWS::Lambda::Function') as Resources)[
    functionIdByEntry(template, description)
  ];
  if (!fn) throw new Error(`no function described ${description}`);
  return fn;
}

/** The statements of the policies attached to a function's role (CDK's DefaultPolicy). */
export function statementsOf(
  template: Template,
  description: RegExp,
): { Action: unknown; Resource: unknown }[] {
  const role = target(functionByEntry(template, description).Properties.Role);
  return Object.values(template.findResources('AWS::IAM::Policy') as Resources)
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => target(r) === role))
    .flatMap(
      (p) =>
        (p.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] }).Statement,
    );
}

/** The security groups our functions run in: pipeline functions and secret rotations. */
export function functionSecurityGroups(template: Template): Map<string, string> {
  const groups = new Map<string, string>();
  for (const [id, fn] of Object.entries(template.findResources('AWS::Lambda::Function') as Resources)) {
    const vpcConfig = fn.Properties.VpcConfig as { SecurityGroupIds?: unknown[] } | undefined;
    for (const group of vpcConfig?.SecurityGroupIds ?? []) groups.set(target(group) ?? '?', id);
  }
  for (const [id, app] of Object.entries(
    template.findResources('AWS::Serverless::Application') as Resources,
  )) {
    const parameters = app.Properties.Parameters as { vpcSecurityGroupIds?: unknown };
    groups.set(target(parameters.vpcSecurityGroupIds) ?? '?', id);
  }
  return groups;
}

export function databaseSecurityGroup(template: Template): string {
  const [, instance] = only(template.findResources('AWS::RDS::DBInstance') as Resources);
  const groups = instance.Properties.VPCSecurityGroups as unknown[];
  expect(groups).toHaveLength(1);
  return target(groups[0]) ?? '?';
}

export function ingressRulesOf(template: Template, groupId: string): Record<string, unknown>[] {
  const standalone = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress') as Resources)
    .map((r) => r.Properties)
    .filter((p) => target(p.GroupId) === groupId);
  const group = (template.findResources('AWS::EC2::SecurityGroup') as Resources)[groupId];
  const inline = (group?.Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? [];
  return [...standalone, ...inline];
}
