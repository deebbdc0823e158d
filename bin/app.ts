import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from '../lib/config.js';
import { TreasuryStreamStack } from '../lib/treasury-stream-stack.js';

const app = new App();
new TreasuryStreamStack(app, String(app.node.tryGetContext('stackName') ?? 'TreasuryStream'), {
  config: readConfig(app.node),
});
// Any unacknowledged AwsSolutions finding stops the synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
