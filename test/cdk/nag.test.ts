import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ignoreAcknowledgments, nagReport, OPT_INS, synthesize } from './synth.js';

/** A violation as a line a reviewer can read: the rule and where. */
function describeViolations(report: ReturnType<typeof nagReport>): string[] {
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description}`),
  );
}

interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every cdk-nag acknowledgment in the tree, with the construct it was made on. */
function acknowledgments(root: IConstruct): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, '');
        if (rule.startsWith('AwsSolutions-')) found.push({ path: node.node.path, id: rule, reason });
      }
    }
  }
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('finds nothing unacknowledged in the default stack', () => {
    const { stack } = synthesize();

    const report = nagReport(stack);

    expect(describeViolations(report)).toEqual([]);
  });

  it('finds nothing unacknowledged with every opt-in switched on', () => {
    const { stack } = synthesize({ context: OPT_INS });

    const report = nagReport(stack);

    expect(describeViolations(report)).toEqual([]);
  });

  it.each([
    ['default', {}],
    ['opt-ins', OPT_INS],
  ])(
    'acknowledges (%s) only real findings, each on the construct that owns it, with a reason',
    (_, context) => {
      const acknowledged = acknowledgments(synthesize({ context }).stack);
      // The same stack with cdk-nag's acknowledgments ignored: everything cdk-nag would report
      // (other checkers' acknowledgments stay, or the synthesis would stop on their findings).
      ignoreAcknowledgments('AwsSolutions-');
      const raw = nagReport(synthesize({ context }).stack).violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath })),
      );

      expect(acknowledged.length).toBeGreaterThan(0);
      for (const ack of acknowledged) {
        // Scoped to a construct below the stack, never the whole stack or app.
        expect(ack.path.split('/').length, `${ack.id} on ${ack.path}`).toBeGreaterThan(2);
        expect(ack.reason.length, `${ack.id} on ${ack.path} needs a reason`).toBeGreaterThan(40);
        const covered = raw.filter((f) => f.id === ack.id && `${f.path}/`.startsWith(`${ack.path}/`));
        expect(covered.length, `${ack.id} on ${ack.path} acknowledges no finding`).toBeGreaterThan(0);
      }
      for (const finding of raw) {
        const covering = acknowledged.filter(
          (a) => a.id === finding.id && `${finding.path}/`.startsWith(`${a.path}/`),
        );
        expect(covering.length, `${finding.id} at ${finding.path}`).toBeGreaterThan(0);
      }
    },
  );
});
