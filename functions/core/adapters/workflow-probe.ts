import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DependencyProbe } from '../domain/ports';

/** The order workflow exists and is active: DescribeStateMachine on its ARN, the one Step Functions call allowed. */
export function workflowProbe(client: SFNClient, stateMachineArn: string): DependencyProbe {
  return async (abortSignal) => {
    const { status } = await client.send(new DescribeStateMachineCommand({ stateMachineArn }), { abortSignal });
    if (status !== undefined && status !== 'ACTIVE') throw new Error(`the state machine is ${status}`);
  };
}
