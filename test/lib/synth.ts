import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { expect, vi } from 'vitest';
import { PROJECT_ROOT } from '../../lib/constructs/common/pipeline-function.js';
import { readSettings } from '../../lib/read-context.js';
import { TreasuryStreamStack } from '../../lib/treasury-stream-stack.js';

/** The feature flags cdk.json gives the CLI, so that tests synthesize what `cdk synth` does. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;

export interface SynthOptions {
  /** Extra context, as `-c key=value` would give. */
  readonly context?: Record<string, unknown>;
  /** Run esbuild for the functions. @default false: bundling is skipped */
  readonly bundle?: boolean;
  /** Where the cloud assembly goes. @default a temporary folder */
  readonly outdir?: string;
  /** Changes the constructs before the synthesis, as a later edit of the code would. @default none */
  readonly change?: (stack: TreasuryStreamStack) => void;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: TreasuryStreamStack;
  readonly template: Template;
}

/** Builds the app as bin/app.ts does (without cdk-nag, which `nagReport` runs on its own). */
export function synthesize(options: SynthOptions = {}): Synthesized {
  const app = new App({
    outdir: options.outdir,
    context: {
      ...CDK_JSON_CONTEXT,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
  const settings = readSettings(app.node);
  const stack = new TreasuryStreamStack(app, settings.stackName, { settings });
  options.change?.(stack);
  return { app, stack, template: Template.fromStack(stack) };
}

/** cdk-nag's AwsSolutions findings for the stack, acknowledged ones left out. */
export function nagReport(stack: TreasuryStreamStack): PolicyValidationPluginReport {
  return new AwsSolutionsChecks(stack, { verbose: false }).validateScope(stack);
}

/** Makes `Validations.acknowledge` drop the acknowledgments whose id starts with `prefix`. */
export function ignoreAcknowledgments(prefix: string): void {
  const acknowledge = Validations.prototype.acknowledge;
  vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
    this: Validations,
    ...rules: Parameters<Validations['acknowledge']>
  ) {
    const kept = rules.filter((rule) => !rule.id.startsWith(prefix));
    if (kept.length > 0) acknowledge.apply(this, kept);
  });
}

/** Everything a deployment may switch on, so that each path's findings are covered too. */
export const OPT_INS = {
  minimumPollers: '1',
  maximumPollers: '2',
  destroyOnRemoval: 'true',
  databaseMultiAz: 'true',
  sqlClientCidrs: '10.8.0.0/16',
  alarmEmail: 'ops@example.com',
  zones: '3',
  availabilityZoneIds: 'euw1-az1,euw1-az2,euw1-az3',
};

/** An acknowledgment in the tree (`id` without its checker's prefix), or a finding, and where. */
export interface PlacedRule {
  readonly id: string;
  readonly path: string;
}

/** Every acknowledgment whose id starts with `prefix` (`annotation::` aside), the prefix removed. */
export function acknowledgmentsIn(root: IConstruct, prefix: string): (PlacedRule & { reason: string })[] {
  return root.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .map(([id, reason]) => ({ id: id.replace(/^annotation::/i, ''), reason }))
      .filter(({ id }) => id.startsWith(prefix))
      .map(({ id, reason }) => ({ id: id.slice(prefix.length), path: node.node.path, reason })),
  );
}

/**
 * Each acknowledgment is scoped below the stack, gives a reason and covers a finding on its
 * construct or below; each finding is covered by one.
 */
export function expectAcknowledgmentsMatchFindings(
  acknowledged: readonly (PlacedRule & { reason: string })[],
  findings: readonly PlacedRule[],
): void {
  const covers = (ack: PlacedRule, finding: PlacedRule) =>
    ack.id === finding.id && `${finding.path}/`.startsWith(`${ack.path}/`);
  expect(acknowledged.length).toBeGreaterThan(0);
  for (const ack of acknowledged) {
    expect(ack.path.split('/').length, `${ack.id} on ${ack.path}`).toBeGreaterThan(1);
    expect(ack.reason.length, `${ack.id} on ${ack.path} needs a reason`).toBeGreaterThan(40);
    expect(
      findings.filter((f) => covers(ack, f)).length,
      `${ack.id} on ${ack.path} acknowledges no finding`,
    ).toBeGreaterThan(0);
  }
  for (const finding of findings) {
    expect(
      acknowledged.filter((a) => covers(a, finding)).length,
      `${finding.id} at ${finding.path}`,
    ).toBeGreaterThan(0);
  }
}
