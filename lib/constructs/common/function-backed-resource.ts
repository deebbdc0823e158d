import { type CfnResource, CustomResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import type { Construct, IDependable } from 'constructs';
import type { LogSettings } from '../../../contracts/settings.js';
import { acknowledgeFrameworkFunctionFindings, acknowledgeLogGroupFindings } from './checker-findings.js';
import type { PipelineFunction } from './pipeline-function.js';

export interface FunctionBackedResourceProps {
  /** Our function that answers CloudFormation's events, already let in and granted what it needs. */
  readonly handler: PipelineFunction;
  readonly resourceType: `Custom::${string}`;
  /** What the handler receives; a change of any of them runs an update. */
  readonly properties: Readonly<Record<string, unknown>>;
  /** How long the provider's framework function keeps its logs. */
  readonly logs: LogSettings;
  /**
   * What must exist before the handler first runs: what it works on, and the rules that let it in
   * (resources of their own, which CloudFormation would otherwise create in any order).
   */
  readonly dependsOn: readonly IDependable[];
}

/**
 * A custom resource backed by one of our functions in the VPC, through CDK's Provider framework:
 * the topic setup and the schema. Its parts are created in `scope` as `<name>ProviderLogs`,
 * `<name>Provider` and `<name>`, the IDs they had when each construct built them itself: a construct
 * of its own would nest them, change their logical IDs, and CloudFormation would replace them on the
 * next update, the old one getting a Delete event.
 */
export function functionBackedResource(
  scope: Construct,
  name: string,
  props: FunctionBackedResourceProps,
): CustomResource {
  const onEventHandler = props.handler.function;
  const providerLogs = new logs.LogGroup(scope, `${name}ProviderLogs`, {
    retention: props.logs.logRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  acknowledgeLogGroupFindings(providerLogs);
  const provider = new Provider(scope, `${name}Provider`, { onEventHandler, logGroup: providerLogs });
  acknowledgeProviderFindings(provider, onEventHandler);
  const resource = new CustomResource(scope, name, {
    serviceToken: provider.serviceToken,
    resourceType: props.resourceType,
    properties: { ...props.properties },
  });
  resource.node.addDependency(...props.dependsOn, props.handler);
  return resource;
}

/**
 * The custom resource Provider's framework function is AWS's code (aws-cdk-lib): it runs outside the
 * VPC, invokes our handler and answers CloudFormation. Its findings are acknowledged on it alone.
 */
function acknowledgeProviderFindings(provider: Provider, handler: lambda.IFunction): void {
  const handlerResource = handler.node.defaultChild as CfnResource;
  const handlerId = Stack.of(handler).getLogicalId(handlerResource);
  acknowledgeFrameworkFunctionFindings(provider.node.findChild('framework-onEvent'), { environment: true });
  Validations.of(provider).acknowledge(
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The framework function logs through AWSLambdaBasicExecutionRole, the AWS-maintained minimum.',
    },
    {
      id: `AwsSolutions-IAM5[Resource::<${handlerId}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on "<handler ARN>:*" covers the versions and aliases of our one handler; ' +
        'the wildcard is the qualifier, not other functions.',
    },
  );
}
