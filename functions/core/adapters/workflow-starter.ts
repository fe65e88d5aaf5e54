import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { WorkflowInput, WorkflowStarter } from '../domain/ports';
import { settings } from '../config/settings';
import { tracer } from '../observability/powertools';

/** Starts saga executions on Step Functions (the local saga runner offline, through AWS_ENDPOINT_URL_SFN). */
export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(executionName: string, input: WorkflowInput): Promise<void> {
    await this.client.send(
      new StartExecutionCommand({
        stateMachineArn: this.stateMachineArn,
        name: executionName,
        input: JSON.stringify(input),
      }),
    );
  }
}

/** The starter for this function's environment, built once per cold start. */
export function workflowStarter(): StepFunctionsWorkflowStarter {
  return new StepFunctionsWorkflowStarter(
    tracer.captureAWSv3Client(new SFNClient({})),
    settings.orderWorkflow().stateMachineArn,
  );
}

/** Starts cancellation workflows (the compensations of a cancelled order). */
export function cancellationStarter(): StepFunctionsWorkflowStarter {
  return new StepFunctionsWorkflowStarter(
    tracer.captureAWSv3Client(new SFNClient({})),
    settings.cancellationWorkflow().stateMachineArn,
  );
}

/** Starts continuation workflows (a held order's decision carried out: confirm, or compensate and fail). */
export function continuationStarter(): StepFunctionsWorkflowStarter {
  return new StepFunctionsWorkflowStarter(
    tracer.captureAWSv3Client(new SFNClient({})),
    settings.continuationWorkflow().stateMachineArn,
  );
}
