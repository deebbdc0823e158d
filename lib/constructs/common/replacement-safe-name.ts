import { createHash } from 'node:crypto';
import { Aws, Fn, Lazy, Names, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A physical name for a resource that CloudFormation cannot name itself (AWS::MSK::Cluster and
 * AWS::MSK::Configuration require a name, unique in the account and region) and that may be retained.
 * A fixed name collides twice: with the retained resource when the stack is deleted and deployed
 * again, and with the old resource when a change replaces it (CloudFormation creates the new one
 * first). So the name ends in two parts:
 * - a digest of the properties whose change replaces the resource, so a replacement gets a new name;
 * - the first group of the stack's own UUID (from AWS::StackId), so a new stack of the same name does.
 * `replacementProperties` returns exactly the values whose change replaces the resource: its own
 * create-only properties and, for a resource it refers to, that resource's logical ID and create-only
 * properties (a reference resolves to a logical ID, never to the physical value, so a referenced
 * resource that is replaced under the same logical ID must bring its create-only values itself).
 * Nothing updatable in place belongs in it: a change of such a property would rename, and so replace,
 * the resource for nothing. It is read at synthesis, so later changes to the constructs count.
 */
export function replacementSafeName(scope: IConstruct, replacementProperties: () => unknown): string {
  const stack = Stack.of(scope);
  const base = Names.uniqueResourceName(scope, { maxLength: 40, separator: '-' });
  const digest = Lazy.string({
    produce: () =>
      createHash('sha256')
        .update(JSON.stringify(stack.resolve(replacementProperties())))
        .digest('hex')
        .slice(0, 8),
  });
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>; its first group is 8 hex digits.
  const stackUuid = Fn.select(2, Fn.split('/', Aws.STACK_ID));
  return Fn.join('-', [base, digest, Fn.select(0, Fn.split('-', stackUuid))]);
}
