import { Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import { acknowledgeLogGroupFindings } from './checker-findings.js';

/**
 * The log group of a function this stack does not build with a log group of its own (a SAR rotation
 * function, a CDK framework handler). Lambda would create /aws/lambda/<name> on the first run, with
 * no retention, and it would outlive the stack (N21). Created here first, with the retention and
 * deleted with the stack; `usedBy` (what runs the function first) waits for it, or Lambda's group
 * would exist by then and this one could not be created.
 */
export function functionLogGroup(
  scope: Construct,
  id: string,
  functionName: string,
  retentionDays: number,
  usedBy: readonly IConstruct[],
): logs.LogGroup {
  const logGroup = new logs.LogGroup(scope, id, {
    logGroupName: Fn.join('', ['/aws/lambda/', functionName]),
    retention: retentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  acknowledgeLogGroupFindings(logGroup);
  for (const user of usedBy) user.node.addDependency(logGroup);
  return logGroup;
}
