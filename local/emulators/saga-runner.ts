import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { sagaTasks, substitute, type StateMachineDefinition } from '../../statemachines/order-saga';
import { functionNameOf, lambdaContext, loadHandler, type LambdaHandler } from './lambda-context';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One event of a run (state entered, exited, retried, caught...), with the state's input and output. */
export type ExecutionEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  /**
   * The run's events with their data: what a workflow log at level ALL with execution data keeps in AWS, so tests can
   * check what such a log would hold.
   */
  readonly history: ExecutionEvent[];
}

export interface SagaRunnerOptions {
  readonly projectRoot: string;
  readonly machine: StateMachineDefinition;
  readonly stateMachineArn: string;
  readonly workflowType: 'EXPRESS' | 'STANDARD';
  /** Pause between retries in ms, instead of the ASL's backoff (tests); undefined keeps the ASL's own timing. */
  readonly retryIntervalMs?: number;
}

export class ExecutionAlreadyExistsError extends Error {
  override readonly name = 'ExecutionAlreadyExists';
}

/**
 * Runs a state machine's ASL file with aws-local-stepfunctions. Each Task state whose Resource is a `${Placeholder}` runs
 * the handler module CDK deploys for that placeholder, in-process, with a Lambda-like context and JSON round trips.
 */
export class LocalSagaRunner {
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    private readonly options: SagaRunnerOptions,
    private readonly machine: StateMachine,
    private readonly taskHandlers: Record<string, (input: unknown) => Promise<unknown>>,
    private readonly retryStates: string[],
  ) {}

  static async create(options: SagaRunnerOptions): Promise<LocalSagaRunner> {
    const text = readFileSync(join(options.projectRoot, options.machine.definitionFile), 'utf8');
    const arnOf = (modulePath: string) =>
      `arn:aws:lambda:us-east-1:000000000000:function:${functionNameOf(modulePath)}`;
    const substitutions = Object.fromEntries(
      options.machine.tasks.map((placeholder) => [placeholder, arnOf(sagaTasks[placeholder])]),
    );
    const definition = JSON.parse(substitute(text, substitutions)) as {
      States: Record<string, { Type: string; Resource?: string; Retry?: unknown[] }>;
    };
    const handlersByArn = new Map<string, { name: string; handler: LambdaHandler }>();
    for (const modulePath of options.machine.tasks.map((placeholder) => sagaTasks[placeholder])) {
      handlersByArn.set(arnOf(modulePath), {
        name: functionNameOf(modulePath),
        handler: await loadHandler(options.projectRoot, modulePath),
      });
    }
    const taskHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      const target = state.Resource ? handlersByArn.get(state.Resource) : undefined;
      if (!target) throw new Error(`state ${stateName} has no local handler for ${state.Resource}`);
      // Lambda hands the function a JSON copy of its input and returns a JSON copy of its result.
      taskHandlers[stateName] = async (input) =>
        jsonCopy(await target.handler(jsonCopy(input), lambdaContext(target.name)));
    }
    const retryStates = Object.entries(definition.States)
      .filter(([, state]) => Array.isArray(state.Retry))
      .map(([name]) => name);
    const machine = new StateMachine(definition as never, { validationOptions: { checkArn: true, checkPaths: true } });
    return new LocalSagaRunner(options, machine, taskHandlers, retryStates);
  }

  start(name: string, input: string): ExecutionRecord {
    const existing = [...this.executions.values()].find((execution) => execution.name === name);
    // Standard workflows treat a repeated name with the same input as the same execution; Express never dedupes.
    if (existing && this.options.workflowType === 'STANDARD') {
      if (existing.input === input) return existing;
      throw new ExecutionAlreadyExistsError(`Execution Already Exists: '${existing.executionArn}'`);
    }
    const suffix = this.options.workflowType === 'EXPRESS' ? `${name}:${randomUUID()}` : name;
    const executionArn = `${this.options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${suffix}`;
    const record: ExecutionRecord = {
      executionArn,
      name,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      history: [],
    };
    this.executions.set(executionArn, record);

    const retryIntervalOverrides =
      this.options.retryIntervalMs === undefined
        ? undefined
        : Object.fromEntries(this.retryStates.map((state) => [state, this.options.retryIntervalMs!]));
    const execution = this.machine.run(JSON.parse(input) as never, {
      overrides: {
        taskResourceLocalHandlers: this.taskHandlers as never,
        ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
      },
      context: { Execution: { Id: executionArn, Name: name } },
    });
    const done = execution.result.then(
      (output) => {
        record.status = 'SUCCEEDED';
        record.output = JSON.stringify(output);
      },
      (error: unknown) => {
        const cause = (error as { cause?: { name?: string; message?: string } }).cause;
        record.status = 'FAILED';
        record.error = cause?.name ?? (error as Error).name;
        record.cause = cause?.message ?? (error as Error).message;
      },
    );
    // The engine queues every event until it is read; the run's last event closes the stream.
    const recorded = (async () => {
      for await (const event of execution.eventLogs) record.history.push(event);
    })();
    const tracked = Promise.all([done, recorded]).finally(() => {
      record.stopDate = new Date();
      this.inFlight.delete(tracked);
    });
    this.inFlight.add(tracked);
    return record;
  }

  get running(): number {
    return this.inFlight.size;
  }

  describe(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  list(): ExecutionRecord[] {
    return [...this.executions.values()];
  }

  /** Resolves when every execution started so far has finished (or the deadline passes). */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref()),
      ]);
    }
    return this.inFlight.size === 0;
  }
}

function jsonCopy(value: unknown): unknown {
  return value === undefined ? null : (JSON.parse(JSON.stringify(value)) as unknown);
}
