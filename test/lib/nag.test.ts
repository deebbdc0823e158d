import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  acknowledgmentsIn,
  expectAcknowledgmentsMatchFindings,
  ignoreAcknowledgments,
  nagReport,
  OPT_INS,
  synthesize,
} from './synth.js';

/** A violation as a line a reviewer can read: the rule and where. */
function describeViolations(report: ReturnType<typeof nagReport>): string[] {
  return report.violations.flatMap((v) =>
    v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description}`),
  );
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
      // Ids are kept whole ("AwsSolutions-" is part of cdk-nag's rule names).
      const acknowledged = acknowledgmentsIn(synthesize({ context }).stack, '').filter((a) =>
        a.id.startsWith('AwsSolutions-'),
      );
      // The same stack with cdk-nag's acknowledgments ignored: everything cdk-nag would report
      // (other checkers' acknowledgments stay, or the synthesis would stop on their findings).
      ignoreAcknowledgments('AwsSolutions-');
      const raw = nagReport(synthesize({ context }).stack).violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })),
      );

      expectAcknowledgmentsMatchFindings(acknowledged, raw);
      // Scoped to a construct below the stack, never the whole stack or app.
      for (const ack of acknowledged)
        expect(ack.path.split('/').length, `${ack.id} on ${ack.path}`).toBeGreaterThan(2);
    },
  );
});
