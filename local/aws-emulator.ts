import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, listen, readBody } from './http-util';
import { ExecutionAlreadyExistsError, type ExecutionRecord, type LocalSagaRunner } from './saga-runner';

export interface RecordedEvent {
  readonly id: string;
  readonly eventBusName: string;
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
  readonly time: string;
}

/**
 * The AWS APIs the handlers call besides DynamoDB, served locally over the SDK's own JSON protocol: Step Functions
 * (StartExecution, DescribeExecution, backed by the local saga runner) and EventBridge (PutEvents, recorded on the
 * local bus). Handlers reach it through AWS_ENDPOINT_URL_SFN / AWS_ENDPOINT_URL_EVENTBRIDGE and run unchanged.
 */
export class LocalAwsEmulator {
  private readonly recorded: RecordedEvent[] = [];
  private readonly listeners = new Set<(event: RecordedEvent) => void>();
  private readonly server = createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) reply(response, 500, { __type: 'InternalFailure', message: String(error) });
    });
  });
  private readonly machines = new Map<string, LocalSagaRunner>();
  url = '';

  async start(port: number): Promise<void> {
    this.url = `http://127.0.0.1:${await listen(this.server, port)}`;
  }

  attachStateMachine(stateMachineArn: string, runner: LocalSagaRunner): void {
    this.machines.set(stateMachineArn, runner);
  }

  events(): RecordedEvent[] {
    return [...this.recorded];
  }

  onEvent(listener: (event: RecordedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): Promise<void> {
    return close(this.server);
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
    switch (target) {
      case 'AWSStepFunctions.StartExecution':
        return this.startExecution(body, response);
      case 'AWSStepFunctions.DescribeExecution':
        return this.describeExecution(body, response);
      case 'AWSEvents.PutEvents':
        return this.putEvents(body, response);
      default:
        return reply(response, 400, { __type: 'UnknownOperationException', message: `${target} is not emulated` });
    }
  }

  private startExecution(body: Record<string, unknown>, response: ServerResponse) {
    const runner = this.machines.get(String(body.stateMachineArn));
    if (!runner) {
      return reply(response, 400, { __type: 'StateMachineDoesNotExist', message: 'State Machine Does Not Exist' });
    }
    const name = typeof body.name === 'string' ? body.name : randomUUID();
    try {
      const execution = runner.start(name, typeof body.input === 'string' ? body.input : '{}');
      return reply(response, 200, { executionArn: execution.executionArn, startDate: seconds(execution.startDate) });
    } catch (error) {
      if (error instanceof ExecutionAlreadyExistsError) {
        return reply(response, 400, { __type: 'ExecutionAlreadyExists', message: error.message });
      }
      throw error;
    }
  }

  private describeExecution(body: Record<string, unknown>, response: ServerResponse) {
    const arn = String(body.executionArn);
    const execution = [...this.machines.values()].map((runner) => runner.describe(arn)).find(Boolean);
    if (!execution)
      return reply(response, 400, { __type: 'ExecutionDoesNotExist', message: 'Execution Does Not Exist' });
    return reply(response, 200, describe(execution));
  }

  private putEvents(body: Record<string, unknown>, response: ServerResponse) {
    const entries = Array.isArray(body.Entries) ? (body.Entries as Record<string, unknown>[]) : [];
    const results = entries.map((entry) => {
      const event: RecordedEvent = {
        id: randomUUID(),
        eventBusName: String(entry.EventBusName ?? 'default'),
        source: String(entry.Source),
        detailType: String(entry.DetailType),
        detail: JSON.parse(String(entry.Detail ?? '{}')) as unknown,
        time: new Date().toISOString(),
      };
      this.recorded.push(event);
      for (const listener of this.listeners) listener(event);
      return { EventId: event.id };
    });
    return reply(response, 200, { FailedEntryCount: 0, Entries: results });
  }
}

function describe(execution: ExecutionRecord) {
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    input: execution.input,
    ...(execution.stopDate ? { stopDate: seconds(execution.stopDate) } : {}),
    ...(execution.output !== undefined ? { output: execution.output } : {}),
    ...(execution.error ? { error: execution.error, cause: execution.cause } : {}),
  };
}

function seconds(date: Date): number {
  return date.getTime() / 1000;
}

function reply(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
