import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CFN_GUARD_NAMESPACE, controlTowerValidator } from '../../lib/constructs/common/checker-findings.js';
import {
  acknowledgmentsIn,
  expectAcknowledgmentsMatchFindings,
  ignoreAcknowledgments,
  OPT_INS,
  type PlacedRule,
  synthesize,
} from './synth.js';

/** What the Control Tower rules find in the synthesized template, by rule and construct path. */
function guardFindings(context: Record<string, unknown>): PlacedRule[] {
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
      .map((r) => ({ id: v.ruleName, path: pathOf.get(r.resourceLogicalId) ?? r.resourceLogicalId })),
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
    expect(guardFindings({}).filter((f) => f.id === 'kms_create_grant_aws_service_check')).toEqual([]);
  });

  it.each([
    ['default', {}],
    ['opt-ins', OPT_INS],
  ])(
    'acknowledges (%s) only real findings, each on the construct that owns it, with a reason',
    (_, context) => {
      const acknowledged = acknowledgmentsIn(synthesize({ context }).stack, `${CFN_GUARD_NAMESPACE}::`);
      ignoreAcknowledgments(`${CFN_GUARD_NAMESPACE}::`);

      expectAcknowledgmentsMatchFindings(acknowledged, guardFindings(context));
    },
  );
});
