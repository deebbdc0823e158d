import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { controlTowerValidator } from './constructs/common/checker-findings.js';
import { readSettings } from './read-context.js';
import { TreasuryStreamStack } from './treasury-stream-stack.js';

/** The pipeline's stack in `app`, from the app's context: what bin/app.ts and the tests build. */
export function buildStack(app: App): TreasuryStreamStack {
  const settings = readSettings(app.node);
  return new TreasuryStreamStack(app, settings.stackName, { settings });
}

/**
 * Any unacknowledged finding of cdk-nag's AwsSolutions rules or of AWS Control Tower's proactive
 * controls (cfn-guard) stops the synthesis.
 */
export function addPolicyValidation(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), controlTowerValidator());
}
