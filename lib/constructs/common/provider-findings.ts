import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Provider } from 'aws-cdk-lib/custom-resources';
import { acknowledgeFrameworkFunctionFindings } from './checker-findings.js';

/**
 * The custom resource Provider's framework function is AWS's code (aws-cdk-lib): it runs outside the
 * VPC, invokes our handler and answers CloudFormation. Its findings are acknowledged on it alone.
 */
export function acknowledgeProviderFindings(provider: Provider, handler: lambda.IFunction): void {
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
