import type { DynamoDbRequestRecord } from './dynamodb-counting-proxy';
import type { ExecutionSummary, TaskInvocation } from './saga-probe';
import type { ServedRequest } from './traffic-origin';
import { expressBilledMs, lambdaBilledMs } from './cost-model';
import { sequentialDepth } from './stats';

/**
 * What one measurement window consumed (a number of orders, or of calls to one API route), from the probes' raw
 * records. Pure: unit-tested in test/unit/bench-usage.test.ts.
 */

export interface DynamoDbTotals {
  readonly requests: number;
  readonly readUnits: number;
  /** Write units as DynamoDB Local reports them. */
  readonly writeUnits: number;
  /**
   * Write units AWS bills on top of what DynamoDB Local reports: 2 per ConditionCheck action of a transaction
   * (Local reports none; AWS bills them as transactional writes) and 1 per failed conditional write (Local reports
   * nothing for it; AWS bills the write it refused).
   */
  readonly unreportedWriteUnits: number;
  /** Write units of the replicated table as a replica bills them (a transactional write replicates as a standard one). */
  readonly replicatedWriteUnits: number;
  /**
   * Transactions on the replicated table. Where the table has replicas, the write fence adds one ConditionCheck on
   * the region's role item to each (docs/regions.md): 2 WRU, which the offline run (no replicas, no fence) cannot
   * report.
   */
  readonly replicatedTableTransactions: number;
  readonly byOperation: ReadonlyMap<string, number>;
}

export interface FunctionTotals {
  readonly invocations: number;
  readonly durationsMs: readonly number[];
  /** The process's CPU time during each invocation (same order as durationsMs), undefined where not measured. */
  readonly cpuMs: readonly (number | undefined)[];
  /** Sum of the invocations' durations rounded up to Lambda's 1 ms step. */
  readonly billedMs: number;
}

export interface WorkflowTotals {
  readonly executions: number;
  readonly statesEntered: number;
  readonly retries: number;
  readonly durationsMs: readonly number[];
  /** Sum of the executions' durations rounded up to Express' 100 ms step. */
  readonly billedExpressMs: number;
  readonly logBytesAtLevelAll: number;
}

export interface WindowUsage {
  /** Orders or calls the window covered: every total below is divided by it for "per order" figures. */
  readonly units: number;
  readonly dynamoDb: DynamoDbTotals;
  readonly dynamoDbByOrigin: ReadonlyMap<string, DynamoDbTotals>;
  readonly functions: ReadonlyMap<string, FunctionTotals>;
  readonly workflows: ReadonlyMap<string, WorkflowTotals>;
  readonly events: number;
  readonly eventBytes: number;
  readonly applicationLogBytes: number;
}

export interface WindowInput {
  readonly units: number;
  readonly records: readonly DynamoDbRequestRecord[];
  readonly tasks: readonly TaskInvocation[];
  readonly executions: readonly ExecutionSummary[];
  readonly served: readonly ServedRequest[];
  readonly events: readonly { readonly bytes: number }[];
  readonly logBytes: ReadonlyMap<string, number>;
  /** The orders table (replicated); other tables (idempotency) are not. */
  readonly replicatedTable: string;
  /** The Lambda function behind an API origin (`api:<routeId>`). */
  readonly functionOfRoute: (routeId: string) => string;
}

export function dynamoDbTotals(records: readonly DynamoDbRequestRecord[], replicatedTable: string): DynamoDbTotals {
  let readUnits = 0;
  let writeUnits = 0;
  let unreportedWriteUnits = 0;
  let replicatedWriteUnits = 0;
  let replicatedTableTransactions = 0;
  const byOperation = new Map<string, number>();
  for (const record of records) {
    byOperation.set(record.operation, (byOperation.get(record.operation) ?? 0) + 1);
    for (const units of Object.values(record.readUnits)) readUnits += units;
    for (const [table, units] of Object.entries(record.writeUnits)) {
      writeUnits += units;
      if (table === replicatedTable) {
        replicatedWriteUnits += record.operation === 'TransactWriteItems' ? units / 2 : units;
      }
    }
    if (record.operation === 'TransactWriteItems' && record.tables.includes(replicatedTable)) {
      replicatedTableTransactions += 1;
    }
    unreportedWriteUnits += 2 * record.conditionChecks + (record.failedConditionalWrite ? 1 : 0);
    if (record.failedConditionalWrite && record.tables.includes(replicatedTable)) replicatedWriteUnits += 1;
  }
  return {
    requests: records.length,
    readUnits,
    writeUnits,
    unreportedWriteUnits,
    replicatedWriteUnits,
    replicatedTableTransactions,
    byOperation,
  };
}

export function windowUsage(input: WindowInput): WindowUsage {
  const byOrigin = new Map<string, DynamoDbRequestRecord[]>();
  for (const record of input.records) {
    const list = byOrigin.get(record.origin) ?? [];
    list.push(record);
    byOrigin.set(record.origin, list);
  }

  const functions = new Map<
    string,
    { invocations: number; durationsMs: number[]; cpuMs: (number | undefined)[]; billedMs: number }
  >();
  const addInvocation = (name: string, durationMs: number, cpuMs: number | undefined) => {
    const totals = functions.get(name) ?? { invocations: 0, durationsMs: [], cpuMs: [], billedMs: 0 };
    totals.invocations++;
    totals.durationsMs.push(durationMs);
    totals.cpuMs.push(cpuMs);
    totals.billedMs += lambdaBilledMs(durationMs);
    functions.set(name, totals);
  };
  for (const request of input.served)
    addInvocation(input.functionOfRoute(request.origin.replace(/^api:/, '')), request.durationMs, request.cpuMs);
  for (const task of input.tasks) addInvocation(task.functionName, task.durationMs, task.cpuMs);

  const workflows = new Map<
    string,
    {
      executions: number;
      statesEntered: number;
      retries: number;
      durationsMs: number[];
      billedExpressMs: number;
      logBytesAtLevelAll: number;
    }
  >();
  for (const execution of input.executions) {
    const totals = workflows.get(execution.machine) ?? {
      executions: 0,
      statesEntered: 0,
      retries: 0,
      durationsMs: [],
      billedExpressMs: 0,
      logBytesAtLevelAll: 0,
    };
    totals.executions++;
    totals.statesEntered += execution.statesEntered;
    totals.retries += execution.retries;
    totals.durationsMs.push(execution.durationMs);
    totals.billedExpressMs += expressBilledMs(execution.durationMs);
    totals.logBytesAtLevelAll += execution.estimatedLogBytes;
    workflows.set(execution.machine, totals);
  }

  return {
    units: input.units,
    dynamoDb: dynamoDbTotals(input.records, input.replicatedTable),
    dynamoDbByOrigin: new Map(
      [...byOrigin.entries()].map(([origin, records]) => [origin, dynamoDbTotals(records, input.replicatedTable)]),
    ),
    functions,
    workflows,
    events: input.events.length,
    eventBytes: input.events.reduce((sum, event) => sum + event.bytes, 0),
    applicationLogBytes: [...input.logBytes.values()].reduce((sum, bytes) => sum + bytes, 0),
  };
}

/**
 * Sequential DynamoDB round trips of each API call: the requests the handler made while the gateway served it
 * (same origin, inside the call's time window), chained by `sequentialDepth`. Calls must not overlap.
 */
export function roundTripsPerCall(
  served: readonly ServedRequest[],
  records: readonly DynamoDbRequestRecord[],
): { readonly requests: number[]; readonly depths: number[] } {
  const requests: number[] = [];
  const depths: number[] = [];
  for (const call of served) {
    const end = call.startedAt + call.durationMs;
    const own = records.filter(
      (record) => record.origin === call.origin && record.startedAt >= call.startedAt && record.endedAt <= end,
    );
    requests.push(own.length);
    depths.push(sequentialDepth(own.map((record) => ({ start: record.startedAt, end: record.endedAt }))));
  }
  return { requests, depths };
}
