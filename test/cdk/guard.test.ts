import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CFN_GUARD_NAMESPACE, controlTowerValidator } from '../../lib/constructs/checker-findings.js';
import { ignoreAcknowledgments, OPT_INS, synthesize } from './synth.js';

/** Every cfn-guard acknowledgment in the tree, with the construct it was made on. */
function guardAcknowledgments(root: IConstruct): { path: string; rule: string; reason: string }[] {
  const prefix = `${CFN_GUARD_NAMESPACE}::`;
  return root.node.findAll().flatMap((node) =>
    node.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .filter(([id]) => id.startsWith(prefix))
      .map(([id, reason]) => ({ path: node.node.path, rule: id.slice(prefix.length), reason })),
  );
}

/** What the Control Tower rules find in the synthesized template, by rule and construct path. */
function guardFindings(context: Record<string, unknown>): { rule: string; path: string }[] {
  const { app, stack } = synthesize({ context });
  const pathOf = new Map(
    stack.node
      .findAll()
      .filter(CfnResource.isCfnResource)
      .map((r) => [Stack.of(r).getLogicalId(r), r.node.path]),
  );
  const templates = app.synth().stacks.map((s) => s.templateFullPath);
  const report = controlTowerValidator().validate({ templatePaths: templates } as never);
  return report.violations.flatMap((v) =>
    v.violatingResources
      .filter((r) => r.resourceLogicalId)
      .map((r) => ({ rule: v.ruleName, path: pathOf.get(r.resourceLogicalId) ?? r.resourceLogicalId })),
  );
}

describe('cfn-guard with the AWS Control Tower proactive controls', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ['default', {}],
    ['opt-ins', OPT_INS],
  ])('stops no synthesis (%s): every finding is fixed or acknowledged', (_, context) => {
    const { app } = synthesize({ context });
    Validations.of(app).addPlugins(controlTowerValidator());

    // The validation runs in app.synth() and throws its report when anything is unacknowledged.
    expect(() => app.synth()).not.toThrow();
  });

  it('limits key grants to AWS services on every KMS key (CT.KMS.PR.3 fixed, not acknowledged)', () => {
    expect(guardFindings({}).filter((f) => f.rule === 'kms_create_grant_aws_service_check')).toEqual([]);
  });

  it.each([
    ['default', {}],
    ['opt-ins', OPT_INS],
  ])(
    'acknowledges (%s) only real findings, each on the construct that owns it, with a reason',
    (_, context) => {
      const acknowledged = guardAcknowledgments(synthesize({ context }).stack);
      ignoreAcknowledgments(`${CFN_GUARD_NAMESPACE}::`);
      const raw = guardFindings(context);

      expect(acknowledged.length).toBeGreaterThan(0);
      for (const ack of acknowledged) {
        expect(ack.path.split('/').length, `${ack.rule} on ${ack.path}`).toBeGreaterThan(1);
        expect(ack.reason.length, `${ack.rule} on ${ack.path} needs a reason`).toBeGreaterThan(40);
        const covered = raw.filter((f) => f.rule === ack.rule && `${f.path}/`.startsWith(`${ack.path}/`));
        expect(covered.length, `${ack.rule} on ${ack.path} acknowledges no finding`).toBeGreaterThan(0);
      }
      for (const finding of raw) {
        const covering = acknowledged.filter(
          (a) => a.rule === finding.rule && `${finding.path}/`.startsWith(`${a.path}/`),
        );
        expect(covering.length, `${finding.rule} at ${finding.path}`).toBeGreaterThan(0);
      }
    },
  );
});
