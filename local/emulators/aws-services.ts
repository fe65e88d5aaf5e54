import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, listen, readBody } from './http-server';
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
 * (StartExecution, DescribeExecution, DescribeStateMachine, backed by the local saga runner), EventBridge
 * (PutEvents, recorded on the local bus) and SQS (the needs-attention and webhook delivery queues: SendMessage
 * with DelaySeconds, ReceiveMessage with a visibility timeout, DeleteMessage, GetQueueAttributes, and a redrive
 * policy that moves a message received too often to its dead-letter queue).
 * Handlers reach it through AWS_ENDPOINT_URL_SFN / _EVENTBRIDGE / _SQS and run unchanged.
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
  private readonly attachedAt = new Map<string, Date>();
  /** SQS queues by URL: messages in arrival order, each with its receipt handle once received. */
  private readonly queues = new Map<string, QueuedMessage[]>();
  private readonly queueSettings = new Map<string, QueueSettings>();
  url = '';

  async start(port: number): Promise<void> {
    this.url = `http://127.0.0.1:${await listen(this.server, port)}`;
  }

  attachStateMachine(stateMachineArn: string, runner: LocalSagaRunner): void {
    this.machines.set(stateMachineArn, runner);
    this.attachedAt.set(stateMachineArn, new Date());
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

  /**
   * Declares a queue and returns its URL (what CDK's queue URL is in AWS). Without a visibility timeout a received
   * message stays invisible until deleted (an operator's queue); with one it comes back when not deleted in time,
   * and with a dead-letter queue it moves there on the receive after `maxReceiveCount`, as SQS's redrive does.
   */
  createQueue(name: string, settings: QueueSettings = {}): string {
    const url = `${this.url}/000000000000/${name}`;
    if (!this.queues.has(url)) this.queues.set(url, []);
    this.queueSettings.set(url, settings);
    return url;
  }

  /** Receives up to `max` visible messages in-process (the local queue poller: what Lambda's SQS poller does). */
  receive(url: string, max: number): { id: string; body: string; receipt: string; receiveCount: number }[] {
    const queue = this.queues.get(url);
    if (!queue) throw new Error(`no queue ${url}`);
    const settings = this.queueSettings.get(url) ?? {};
    const now = Date.now();
    const received: { id: string; body: string; receipt: string; receiveCount: number }[] = [];
    for (const message of [...queue]) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      message.receiveCount++;
      if (settings.deadLetter && message.receiveCount > settings.deadLetter.maxReceiveCount) {
        queue.splice(queue.indexOf(message), 1);
        this.queues.get(settings.deadLetter.url)?.push({ ...message, receipt: undefined, visibleAt: now });
        continue;
      }
      message.receipt = randomUUID();
      message.visibleAt =
        settings.visibilityTimeoutSeconds === undefined ? Infinity : now + settings.visibilityTimeoutSeconds * 1000;
      received.push({
        id: message.id,
        body: message.body,
        receipt: message.receipt,
        receiveCount: message.receiveCount,
      });
    }
    return received;
  }

  /** How many messages of a queue can be received now (neither delayed nor in flight). */
  visibleMessages(url: string): number {
    const now = Date.now();
    return (this.queues.get(url) ?? []).filter((message) => message.visibleAt <= now).length;
  }

  /** Deletes a received message by its receipt handle (in-process). */
  deleteReceived(url: string, receipt: string): void {
    const queue = this.queues.get(url) ?? [];
    const index = queue.findIndex((message) => message.receipt === receipt);
    if (index >= 0) queue.splice(index, 1);
  }

  /** The messages waiting in a queue (for tests and the local redrive). */
  queueMessages(url: string): { id: string; body: unknown }[] {
    return (this.queues.get(url) ?? []).map((message) => ({
      id: message.id,
      body: JSON.parse(message.body) as unknown,
    }));
  }

  /** The queue a request names, or the error SQS answers for an unknown queue URL. */
  private queueOf(body: Record<string, unknown>) {
    const queue = this.queues.get(String(body.QueueUrl));
    if (!queue) throw new AwsApiError('AWS.SimpleQueueService.NonExistentQueue', 'no such queue');
    return queue;
  }

  /** The runner a request's stateMachineArn names. */
  private machineOf(body: Record<string, unknown>) {
    const runner = this.machines.get(String(body.stateMachineArn));
    if (!runner) throw new AwsApiError('StateMachineDoesNotExist', 'State Machine Does Not Exist');
    return runner;
  }

  /** The operations served, by the X-Amz-Target header of the SDK's JSON protocol: each returns the 200 body. */
  private readonly operations: Record<string, AwsOperation> = {
    'AWSStepFunctions.StartExecution': (body) => this.startExecution(body),
    'AWSStepFunctions.DescribeExecution': (body) => this.describeExecution(body),
    'AWSStepFunctions.DescribeStateMachine': (body) => this.describeStateMachine(body),
    'AWSEvents.PutEvents': (body) => this.putEvents(body),
    'AmazonSQS.SendMessage': (body) => this.sendMessage(body),
    'AmazonSQS.ReceiveMessage': (body) => this.receiveMessages(body),
    'AmazonSQS.DeleteMessage': (body) => this.deleteMessage(body),
    'AmazonSQS.GetQueueAttributes': (body) => this.queueAttributes(body),
  };

  /**
   * Serves more operations, by X-Amz-Target (another service's emulator, such as the user pool's in cognito-idp.ts).
   * A target already served cannot be taken over.
   */
  serve(operations: Readonly<Record<string, AwsOperation>>): void {
    for (const [target, operation] of Object.entries(operations)) {
      if (target in this.operations) throw new Error(`${target} is already served`);
      this.operations[target] = operation;
    }
  }

  /** Operations (by X-Amz-Target) that fail as during an outage of their service, for tests. */
  readonly unavailable = new Set<string>();

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = String(request.headers['x-amz-target'] ?? '');
    const body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
    const operation = this.unavailable.has(target)
      ? () => {
          throw new AwsApiError('ServiceUnavailable', `${target} is unavailable`);
        }
      : this.operations[target];
    // Answered in the protocol version asked in (Cognito speaks 1.1, Step Functions 1.0).
    const contentType = /^application\/x-amz-json-1\.[01]$/.exec(String(request.headers['content-type']))?.[0];
    try {
      if (!operation) throw new AwsApiError('UnknownOperationException', `${target} is not emulated`);
      reply(response, 200, await operation(body), contentType);
    } catch (error) {
      if (!(error instanceof AwsApiError)) throw error;
      reply(response, 400, { __type: error.type, message: error.message }, contentType);
    }
  }

  private sendMessage(body: Record<string, unknown>) {
    const queue = this.queueOf(body);
    const text = String(body.MessageBody ?? '');
    const delaySeconds = Number(body.DelaySeconds ?? 0);
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900) {
      throw new AwsApiError('InvalidParameterValue', 'DelaySeconds must be an integer from 0 to 900');
    }
    const message: QueuedMessage = {
      id: randomUUID(),
      body: text,
      visibleAt: Date.now() + delaySeconds * 1000,
      receiveCount: 0,
    };
    queue.push(message);
    return { MessageId: message.id, MD5OfMessageBody: md5(text) };
  }

  private receiveMessages(body: Record<string, unknown>) {
    this.queueOf(body);
    const max = Math.min(Number(body.MaxNumberOfMessages ?? 1) || 1, 10);
    return {
      Messages: this.receive(String(body.QueueUrl), max).map((message) => ({
        MessageId: message.id,
        ReceiptHandle: message.receipt,
        MD5OfBody: md5(message.body),
        Body: message.body,
      })),
    };
  }

  private deleteMessage(body: Record<string, unknown>) {
    const queue = this.queueOf(body);
    const index = queue.findIndex((message) => message.receipt === body.ReceiptHandle);
    if (index >= 0) queue.splice(index, 1);
    return {};
  }

  private queueAttributes(body: Record<string, unknown>) {
    const queue = this.queueOf(body);
    const now = Date.now();
    const count = (test: (message: QueuedMessage) => boolean) => String(queue.filter(test).length);
    return {
      Attributes: {
        ApproximateNumberOfMessages: count((message) => message.visibleAt <= now),
        ApproximateNumberOfMessagesNotVisible: count((message) => message.visibleAt > now && !!message.receipt),
        ApproximateNumberOfMessagesDelayed: count((message) => message.visibleAt > now && !message.receipt),
      },
    };
  }

  private startExecution(body: Record<string, unknown>) {
    const runner = this.machineOf(body);
    const name = typeof body.name === 'string' ? body.name : randomUUID();
    try {
      const execution = runner.start(name, typeof body.input === 'string' ? body.input : '{}');
      return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExistsError) throw new AwsApiError('ExecutionAlreadyExists', error.message);
      throw error;
    }
  }

  private describeExecution(body: Record<string, unknown>) {
    const arn = String(body.executionArn);
    const execution = [...this.machines.values()].map((runner) => runner.describe(arn)).find(Boolean);
    if (!execution) throw new AwsApiError('ExecutionDoesNotExist', 'Execution Does Not Exist');
    return describe(execution);
  }

  /** What the readiness check asks: whether the state machine exists (attached here) and is active. */
  private describeStateMachine(body: Record<string, unknown>) {
    this.machineOf(body);
    const arn = String(body.stateMachineArn);
    // The fields callers read; the definition and role are not emulated.
    return {
      stateMachineArn: arn,
      name: arn.slice(arn.lastIndexOf(':') + 1),
      status: 'ACTIVE',
      creationDate: seconds(this.attachedAt.get(arn) ?? new Date()),
    };
  }

  /**
   * Plays a bus fault, for tests of what publishes to it: `down` fails every PutEvents call, `throttling` refuses
   * every other entry of each call (a partial failure: FailedEntryCount and per-entry error codes, as EventBridge
   * answers when throttled). Undefined restores the bus.
   */
  busFault: 'down' | 'throttling' | undefined;

  private putEvents(body: Record<string, unknown>) {
    if (this.busFault === 'down') throw new AwsApiError('InternalException', 'the event bus is unavailable');
    const entries = Array.isArray(body.Entries) ? (body.Entries as Record<string, unknown>[]) : [];
    const throttled = this.busFault === 'throttling';
    const results = entries.map((entry, index) => {
      if (throttled && index % 2 === 1) {
        return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
      }
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
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }
}

interface QueuedMessage {
  readonly id: string;
  readonly body: string;
  receipt?: string | undefined;
  /** When it can be received: after its delay, or after its visibility timeout once received. */
  visibleAt: number;
  receiveCount: number;
}

export interface QueueSettings {
  readonly visibilityTimeoutSeconds?: number;
  readonly deadLetter?: { readonly url: string; readonly maxReceiveCount: number };
}

/** One operation of an emulated JSON-protocol API: the request body in, the 200 body out (or an AwsApiError). */
export type AwsOperation = (body: Record<string, unknown>) => unknown;

/** An error the emulated API answers with 400 and its `__type`, as the service does. */
export class AwsApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
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

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

function seconds(date: Date): number {
  return date.getTime() / 1000;
}

function reply(response: ServerResponse, status: number, body: unknown, contentType = 'application/x-amz-json-1.0') {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': contentType,
    'x-amzn-requestid': randomUUID(),
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
