import { App } from 'aws-cdk-lib';
import { addPolicyValidation, buildStack } from '../lib/app.js';

const app = new App();
buildStack(app);
addPolicyValidation(app);
