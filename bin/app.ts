import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { controlTowerValidator } from '../lib/constructs/common/checker-findings.js';
import { readSettings } from '../lib/read-context.js';
import { TreasuryStreamStack } from '../lib/treasury-stream-stack.js';

const app = new App();
const settings = readSettings(app.node);
new TreasuryStreamStack(app, settings.stackName, { settings });
// Any unacknowledged finding of cdk-nag's AwsSolutions rules or of AWS Control Tower's proactive
// controls (cfn-guard) stops the synthesis.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), controlTowerValidator());
