import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Findings of the two offline checkers besides cdk-nag, acknowledged where they are raised, each with
 * its reason, as cdk-nag's are:
 * - cfn-guard with AWS Control Tower's proactive rules (@cdklabs/cdk-validator-cfnguard, a policy
 *   validation plugin of bin/app.ts): through `Validations.acknowledge`, which CDK matches to the
 *   plugin's findings by construct path;
 * - checkov (.ci/checkov.sh): through the resource's `Metadata.checkov.skip`, which checkov reads.
 */

/**
 * The Control Tower rules, all but one. CT.RDS.PR.14 (export the PostgreSQL logs) is switched off
 * here rather than acknowledged: the plugin (0.0.62) reports it a second time with no resource, which
 * no acknowledgment can match. The reason it would be acknowledged with is on the database
 * (rds_instance_logging_enabled_check in database-findings.ts).
 */
export function controlTowerValidator(): CfnGuardValidator {
  return new CfnGuardValidator({ disabledRules: ['ct-rds-pr-14'] });
}

/** The namespace CDK gives the plugin's rule names (its plugin name). */
export const CFN_GUARD_NAMESPACE = 'cdk-validator-cfnguard';

export interface Finding {
  /** cfn-guard rule name (e.g. `rds_instance_iam_authentication_enabled_check`) or checkov id (`CKV_AWS_161`). */
  readonly id: string;
  readonly reason: string;
}

/** Acknowledges cfn-guard (Control Tower) rules on this construct and everything below it. */
export function acknowledgeGuardFindings(scope: IConstruct, ...findings: Finding[]): void {
  Validations.of(scope).acknowledge(
    ...findings.map((f) => ({ id: `${CFN_GUARD_NAMESPACE}::${f.id}`, reason: f.reason })),
  );
}

/** Acknowledges checkov checks on the construct's CloudFormation resource. */
export function acknowledgeCheckovFindings(scope: IConstruct, ...findings: Finding[]): void {
  const resource = CfnResource.isCfnResource(scope) ? scope : scope.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) {
    throw new Error(`${scope.node.path} has no CloudFormation resource to acknowledge checkov findings on`);
  }
  const existing = (resource.getMetadata('checkov') as { skip?: { id: string; comment: string }[] }) ?? {};
  resource.addMetadata('checkov', {
    skip: [...(existing.skip ?? []), ...findings.map((f) => ({ id: f.id, comment: f.reason }))],
  });
}

const LOG_GROUP_KMS =
  'CloudWatch Logs encrypts every log group at rest; a customer key would add a key policy for the ' +
  'logs service and nothing the logs need: they hold no secrets (the log-leak tests prove it for the handlers).';

/** A log group of this stack: AWS-owned encryption, and the retention the operator chose. */
export function acknowledgeLogGroupFindings(logGroup: IConstruct): void {
  acknowledgeGuardFindings(
    logGroup,
    { id: 'cloudwatch_log_group_encrypted_check', reason: LOG_GROUP_KMS },
    {
      id: 'cloudwatch_log_group_retention_period_check',
      reason:
        'Retention is context logRetentionDays (30 by default, for a small bill); a year or more is one ' +
        'setting away where audit rules ask for it.',
    },
  );
  acknowledgeCheckovFindings(logGroup, { id: 'CKV_AWS_158', reason: LOG_GROUP_KMS });
}

const NO_CONCURRENCY_LIMIT =
  'No reserved concurrency: a new account may have a concurrency quota of 10, which reserving would ' +
  'exhaust, and each function is bounded otherwise (custom resources by CloudFormation, the producer by ' +
  'its schedule; the aggregator reserves its partitions unless the operator opts out).';
const NO_DLQ =
  'Not invoked asynchronously with anything to keep: custom resources report failures to CloudFormation, ' +
  'the aggregator is retried by its event source mapping, and a failed producer run is not repeated on purpose.';
const ENV_NOT_SECRET =
  'The variables hold ARNs, names and settings, never a secret (test/lib checks); Lambda encrypts them at ' +
  'rest with its AWS-managed key.';

/** Functions of this stack and the CDK framework functions beside them. */
export function acknowledgeFunctionFindings(
  fn: IConstruct,
  options: { environment: boolean; reservedConcurrency?: boolean },
): void {
  acknowledgeCheckovFindings(
    fn,
    ...(options.reservedConcurrency ? [] : [{ id: 'CKV_AWS_115', reason: NO_CONCURRENCY_LIMIT }]),
    { id: 'CKV_AWS_116', reason: NO_DLQ },
    ...(options.environment ? [{ id: 'CKV_AWS_173', reason: ENV_NOT_SECRET }] : []),
  );
}

/** AWS's framework code (aws-cdk-lib), which must answer CloudFormation's pre-signed S3 URL. */
export function acknowledgeFrameworkFunctionFindings(
  fn: IConstruct,
  options: { environment: boolean },
): void {
  const reason =
    "CDK's framework function answers CloudFormation through a pre-signed S3 URL on the internet; the " +
    'VPC has no route out, so it runs outside it. It holds no data and reaches nothing of ours but Lambda.';
  acknowledgeFunctionFindings(fn, options);
  acknowledgeCheckovFindings(fn, { id: 'CKV_AWS_117', reason });
  acknowledgeGuardFindings(fn, { id: 'lambda_inside_vpc_check', reason });
}
