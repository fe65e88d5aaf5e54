import { Aws, Fn } from 'aws-cdk-lib';

/**
 * `<prefix>-<the stack's id>` for a resource that needs a name with a fixed prefix (a log group that must start with
 * `aws-waf-logs-` or `/aws/vendedlogs/`) but whose name must not collide with the retained copy of an earlier stack.
 * The stack id (its UUID part) changes when a deleted stack is created again and never within one stack's life, so a
 * redeploy after a delete gets new names while updates keep the old ones.
 */
export function perStackInstanceName(prefix: string): string {
  return `${prefix}-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`;
}
