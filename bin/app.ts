import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from '../contracts/settings.js';
import { controlTowerValidator } from '../lib/constructs/common/checker-findings.js';
import { TreasuryStreamStack } from '../lib/treasury-stream-stack.js';

const app = new App();
new TreasuryStreamStack(app, String(app.node.tryGetContext('stackName') ?? 'TreasuryStream'), {
  config: readConfig(app.node),
});
// Any unacknowledged finding of cdk-nag's AwsSolutions rules or of AWS Control Tower's proactive
// controls (cfn-guard) stops the synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), controlTowerValidator());
