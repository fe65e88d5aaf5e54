import { StateMachine } from 'aws-local-stepfunctions';
import { cpuMsSince, runAs } from './traffic-origin';

/**
 * Watches every state machine execution the local runtime runs (aws-local-stepfunctions, the same ASL files CDK
 * deploys) without changing the runtime: `StateMachine.prototype.run` is wrapped once per process so that
 *   - each Task handler call (one Lambda invocation in AWS, retries included) is timed and runs under its function's
 *     origin, so the DynamoDB requests it makes are attributed to it (traffic-origin.ts);
 *   - the execution's event log is watched as the runner reads it: states entered and retried (what Step Functions bills as state transitions
 *     for Standard workflows), the execution's duration (what Express bills), and the size of the log records an
 *     Express workflow with logging level ALL and execution data would write to CloudWatch Logs.
 */

export interface TaskInvocation {
  readonly machine: string;
  readonly state: string;
  /** The Lambda function name (the handler file's name, as CDK and the runtime name functions). */
  readonly functionName: string;
  readonly durationMs: number;
  /** CPU time of the process while the task ran (see ServedRequest.cpuMs). */
  readonly cpuMs?: number;
  readonly failed: boolean;
}

export interface ExecutionSummary {
  readonly machine: string;
  readonly executionName: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly durationMs: number;
  readonly statesEntered: number;
  readonly retries: number;
  /** Estimated bytes of the execution's CloudWatch log events at level ALL with execution data. */
  readonly estimatedLogBytes: number;
}

export interface SagaProbe {
  tasks(): readonly TaskInvocation[];
  executions(): readonly ExecutionSummary[];
  /** Executions whose event log has not been read to its end yet. */
  pending(): number;
  reset(): void;
}

interface LoggedEvent {
  readonly type: string;
  readonly timestamp: number;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  readonly input?: unknown;
  readonly output?: unknown;
}

type RunOptions = {
  overrides?: { taskResourceLocalHandlers?: Record<string, (input: unknown) => unknown> };
  context?: { Execution?: { Id?: string; Name?: string } };
};
type Run = (input: unknown, options?: RunOptions) => { eventLogs: AsyncGenerator<LoggedEvent> };

// Besides the state's data, each CloudWatch record of a history event carries its id, the previous event's id, a
// timestamp, the event type, the execution ARN and the state name: estimated at 300 bytes of JSON around the payload.
const logEnvelopeBytes = 300;

let probe: (SagaProbe & { record(task: TaskInvocation): void; recordExecution(e: ExecutionSummary): void }) | undefined;

/** Installs the wrapper (once per process) and returns the probe collecting what it sees. */
export function installSagaProbe(): SagaProbe {
  if (probe) return probe;
  let tasks: TaskInvocation[] = [];
  let executions: ExecutionSummary[] = [];
  let pending = 0;
  probe = {
    tasks: () => tasks,
    executions: () => executions,
    pending: () => pending,
    reset: () => {
      tasks = [];
      executions = [];
    },
    record: (task) => tasks.push(task),
    recordExecution: (execution) => executions.push(execution),
  };
  const recorder = probe;
  const prototype = StateMachine.prototype as unknown as { run: Run };
  const originalRun = prototype.run;
  prototype.run = function run(this: unknown, input, options) {
    const executionArn = options?.context?.Execution?.Id ?? '';
    const machine = /:execution:([^:]+):/.exec(executionArn)?.[1] ?? 'unknown';
    const definition = (this as { definition?: { States?: Record<string, { Resource?: string }> } }).definition;
    const handlers = options?.overrides?.taskResourceLocalHandlers;
    const wrapped = handlers
      ? Object.fromEntries(
          Object.entries(handlers).map(([state, handler]) => {
            const resource = definition?.States?.[state]?.Resource ?? '';
            const functionName = /:function:([^:]+)$/.exec(resource)?.[1] ?? state;
            return [
              state,
              (taskInput: unknown) =>
                runAs(`saga:${functionName}`, async () => {
                  const startedAt = performance.now();
                  const cpu = process.cpuUsage();
                  let failed = false;
                  try {
                    return await handler(taskInput);
                  } catch (error) {
                    failed = true;
                    throw error;
                  } finally {
                    recorder.record({
                      machine,
                      state,
                      functionName,
                      durationMs: performance.now() - startedAt,
                      cpuMs: cpuMsSince(cpu),
                      failed,
                    });
                  }
                }),
            ];
          }),
        )
      : undefined;
    const execution = originalRun.call(this, input, {
      ...options,
      ...(wrapped ? { overrides: { ...options?.overrides, taskResourceLocalHandlers: wrapped } } : {}),
    });
    // The runner reads the event log itself (it keeps the execution's history), and an async generator hands each
    // event to one reader only: the probe looks at every event on its way through instead of reading it too.
    pending++;
    const summary = executionSummarizer(machine, options?.context?.Execution?.Name ?? '');
    const events = execution.eventLogs;
    execution.eventLogs = (async function* observed() {
      try {
        for await (const event of events) {
          const done = summary(event);
          if (done) recorder.recordExecution(done);
          yield event;
        }
      } finally {
        pending--;
      }
    })();
    return execution;
  };
  return probe;
}

/** Folds an execution's events, one at a time, into its summary: returned with the execution's last event. */
function executionSummarizer(
  machine: string,
  executionName: string,
): (event: LoggedEvent) => ExecutionSummary | undefined {
  let startedAt: number | undefined;
  let statesEntered = 0;
  let retries = 0;
  let logBytes = 0;
  const size = (value: unknown) => (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value)));
  return (event) => {
    switch (event.type) {
      case 'ExecutionStarted':
        startedAt = event.timestamp;
        logBytes += logEnvelopeBytes + size(event.input);
        return undefined;
      case 'StateEntered':
        statesEntered++;
        // Step Functions logs StateEntered with the input; a Task adds TaskScheduled (input again), TaskStarted and
        // TaskSucceeded (output).
        logBytes += logEnvelopeBytes + size(event.state?.input);
        if (event.state?.type === 'Task') logBytes += 2 * logEnvelopeBytes + size(event.state.input);
        return undefined;
      case 'StateExited':
        logBytes += logEnvelopeBytes + size(event.state?.output);
        if (event.state?.type === 'Task') logBytes += logEnvelopeBytes + size(event.state.output);
        return undefined;
      case 'StateRetried':
        retries++;
        logBytes += 3 * logEnvelopeBytes;
        return undefined;
      case 'StateFailed':
      case 'StateCaught':
        logBytes += logEnvelopeBytes;
        return undefined;
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
        logBytes += logEnvelopeBytes + size(event.output);
        return {
          machine,
          executionName,
          status: event.type === 'ExecutionSucceeded' ? 'SUCCEEDED' : 'FAILED',
          durationMs: event.timestamp - (startedAt ?? event.timestamp),
          statesEntered,
          retries,
          estimatedLogBytes: logBytes,
        };
      default:
        return undefined;
    }
  };
}
