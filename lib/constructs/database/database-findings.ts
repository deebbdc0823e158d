import { Validations } from 'aws-cdk-lib';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type { IConstruct } from 'constructs';
import { acknowledgeCheckovFindings, acknowledgeGuardFindings } from '../common/checker-findings.js';

export interface DatabaseFindingsOptions {
  readonly multiAz: boolean;
  readonly destroyOnRemoval: boolean;
  /** The AWS::SecretsManager::Secret constructs of the database logins. */
  readonly secrets: readonly IConstruct[];
}

const MULTI_AZ = 'Single-AZ by default for a small bill; context databaseMultiAz=true adds a standby.';
const IAM_AUTH =
  'Password logins with secrets rotated every 30 days; IAM database authentication would cap new ' +
  'connections per second and needs a token per connection, a trade-off not taken here.';
const MONITORING =
  'Enhanced monitoring is a cost choice; the dashboard shows CPU, connections and storage from the ' +
  'standard RDS metrics, and the CPU and storage alarms watch them.';
const DEFAULT_PORT = 'The default port is kept: the security group, not the port number, keeps clients out.';

/**
 * What cdk-nag, cfn-guard (Control Tower) and checkov say of the database that this stack decides
 * otherwise, each with its reason.
 */
export function acknowledgeDatabaseFindings(
  instance: rds.DatabaseInstance,
  options: DatabaseFindingsOptions,
): void {
  const resource = instance.node.defaultChild ?? instance;
  const nag = Validations.of(resource);
  nag.acknowledge({ id: 'AwsSolutions-RDS11', reason: DEFAULT_PORT });
  acknowledgeGuardFindings(
    resource,
    { id: 'rds_instance_no_default_ports_check', reason: DEFAULT_PORT },
    { id: 'rds_instance_iam_authentication_enabled_check', reason: IAM_AUTH },
    { id: 'rds_instance_enhanced_monitoring_enabled_check', reason: MONITORING },
    {
      id: 'rds_storage_encrypted_kms_key_check',
      reason:
        'Storage is encrypted with the AWS-managed aws/rds key; a customer key adds only control over ' +
        'cross-account snapshot sharing, which this stack does not do.',
    },
  );
  // rds_instance_logging_enabled_check (CT.RDS.PR.14) is switched off in controlTowerValidator(), for
  // this reason: the PostgreSQL logs stay in RDS (console and API, a few days); exporting them creates
  // a log group that never expires unless one more framework function sets its retention, and the
  // errors the pipeline meets are in its functions' logs.
  acknowledgeCheckovFindings(
    resource,
    { id: 'CKV_AWS_161', reason: IAM_AUTH },
    { id: 'CKV_AWS_118', reason: MONITORING },
    ...(options.multiAz ? [] : [{ id: 'CKV_AWS_157', reason: MULTI_AZ }]),
  );
  if (!options.multiAz) {
    nag.acknowledge({ id: 'AwsSolutions-RDS3', reason: MULTI_AZ });
    acknowledgeGuardFindings(resource, { id: 'rds_instance_multi_az_support_check', reason: MULTI_AZ });
  }
  if (options.destroyOnRemoval) {
    const reason = 'Deletion protection is off only when the operator opts in with destroyOnRemoval=true.';
    nag.acknowledge({ id: 'AwsSolutions-RDS10', reason });
    acknowledgeGuardFindings(resource, { id: 'rds_instance_deletion_protection_enabled_check', reason });
  }
  for (const secret of options.secrets) {
    acknowledgeCheckovFindings(secret, {
      id: 'CKV_AWS_149',
      reason:
        'Encrypted with the AWS-managed aws/secretsmanager key; only our functions\u2019 roles may read ' +
        'each secret, and a customer key would add a key policy to keep in step with them.',
    });
  }
}
