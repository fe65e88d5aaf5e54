import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orderSaga, placeholdersIn, sagaTasks, stateMachines, substitute } from '../../statemachines/order-saga';

interface State {
  Type: string;
  Resource?: string;
  Next?: string;
  End?: boolean;
  Retry?: { ErrorEquals: string[]; JitterStrategy?: string; BackoffRate?: number; MaxAttempts?: number }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
}

const text = readFileSync(join(__dirname, '../..', orderSaga.definitionFile), 'utf8');
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, State> };
const states = definition.States;
const forwardTasks = ['CheckRisk', 'ReserveStock', 'AuthorizePayment', 'ConfirmOrder'];
const compensations = ['VoidPayment', 'ReleaseStock', 'MarkOrderFailed'];

const kebab = (name: string) => name.replace(/(?<!^)([A-Z])/g, '-$1').toLowerCase();

describe('saga step names', () => {
  it.each(stateMachines.map((machine) => [machine.name, machine] as const))(
    'the %s workflow calls each step by one name: state, placeholder, handler and use case',
    (_name, machine) => {
      const asl = JSON.parse(readFileSync(join(__dirname, '../..', machine.definitionFile), 'utf8')) as {
        States: Record<string, State>;
      };
      const tasks = Object.entries(asl.States).filter(([, state]) => state.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(0);
      for (const [stateName, state] of tasks) {
        expect(state.Resource).toBe(`\${${stateName}FunctionArn}`);
        const handler = sagaTasks[`${stateName}FunctionArn` as keyof typeof sagaTasks];
        expect({ stateName, handler }).toEqual({ stateName, handler: `functions/saga/${kebab(stateName)}.ts` });
        const useCase = join(__dirname, '../../functions/core/use-cases/saga', `${kebab(stateName)}.ts`);
        expect({ stateName, useCase: existsSync(useCase) }).toEqual({ stateName, useCase: true });
      }
    },
  );
});

describe('workflow inputs', () => {
  // Execution data lands in the workflow logs: a task is handed ids and the saga's own decisions, never payment data.
  const allowed = ['orderId.$', 'correlationId.$', 'reason', 'reason.$', 'error.$'];

  it.each(stateMachines.map((machine) => [machine.name, machine] as const))(
    'the %s workflow hands its tasks ids and failure details only',
    (_name, machine) => {
      const asl = JSON.parse(readFileSync(join(__dirname, '../..', machine.definitionFile), 'utf8')) as {
        States: Record<string, State & { Parameters?: Record<string, unknown> }>;
      };
      for (const [stateName, state] of Object.entries(asl.States)) {
        const extra = Object.keys(state.Parameters ?? {}).filter((key) => !allowed.includes(key));
        expect({ stateName, extra }).toEqual({ stateName, extra: [] });
      }
      expect(JSON.stringify(asl)).not.toMatch(/payment(Token|Method)/);
    },
  );
});

describe('order saga definition', () => {
  it('has exactly one handler per placeholder', () => {
    expect(placeholdersIn(text)).toEqual([...orderSaga.tasks].sort());
    expect(() => substitute(text, {})).toThrow(/no substitution/);
  });

  it('checks risk before anything is held or charged', () => {
    expect(definition.StartAt).toBe('CheckRisk');
    expect(states.CheckRisk!.Next).toBe('ReserveStock');
    expect(states.RiskRejected!.Next).toBe('MarkOrderFailed');
  });

  it.each(forwardTasks)('%s retries transient errors with backoff and full jitter', (name) => {
    const retry = states[name]!.Retry ?? [];
    expect(retry.length).toBeGreaterThan(0);
    for (const retrier of retry) {
      expect(retrier.JitterStrategy).toBe('FULL');
      expect(retrier.BackoffRate).toBeGreaterThan(1);
      expect(retrier.ErrorEquals).not.toContain('States.ALL');
    }
    expect(retry.flatMap((r) => r.ErrorEquals)).toEqual(
      expect.arrayContaining(['Lambda.ServiceException', 'States.Timeout']),
    );
  });

  it('never retries business outcomes', () => {
    for (const name of forwardTasks) {
      const retried = (states[name]!.Retry ?? []).flatMap((r) => r.ErrorEquals);
      expect(retried).not.toEqual(expect.arrayContaining(['OutOfStockError']));
      expect(retried).not.toEqual(expect.arrayContaining(['PaymentDeclinedError']));
      expect(retried).not.toEqual(expect.arrayContaining(['RiskRejectedError']));
    }
  });

  it.each(forwardTasks)('%s catches everything, keeps its input and ends in compensation', (name) => {
    const catchers = states[name]!.Catch ?? [];
    expect(catchers.at(-1)!.ErrorEquals).toEqual(['States.ALL']);
    for (const catcher of catchers) {
      expect(catcher.ResultPath).toBe('$.error');
      // Follow the chain from the catcher: it must pass through MarkOrderFailed before it ends.
      const visited: string[] = [];
      let current: string | undefined = catcher.Next;
      while (current) {
        visited.push(current);
        const state: State = states[current]!;
        current = state.Next;
      }
      expect(visited).toContain('MarkOrderFailed');
      expect(states[visited.at(-1)!]!.Type).toBe('Succeed');
    }
  });

  it('compensates in reverse: void payment, then release stock, then fail the order', () => {
    expect(states.VoidPayment!.Next).toBe('ReleaseStock');
    expect(states.ReleaseStock!.Next).toBe('MarkOrderFailed');
    expect(states.PaymentFailed!.Next).toBe('VoidPayment');
    // Out of stock here, yet the old active region may have authorized the payment before a failover (docs/regions.md).
    expect(states.OutOfStock!.Next).toBe('VoidPayment');
  });

  it.each(compensations)('%s retries and, when it keeps failing, flags the order for an operator', (name) => {
    expect(states[name]!.Retry?.[0]?.MaxAttempts).toBeGreaterThanOrEqual(3);
    expect(states[name]!.Catch?.[0]).toMatchObject({ Next: 'FlagForAttention', ResultPath: '$.compensationError' });
    expect(states.FlagForAttention!.Next).toBe('CompensationFailed');
    expect(states.CompensationFailed!.Type).toBe('Fail');
  });

  it('retries contention on a hot product longer than other transient errors', () => {
    const [contention, general] = states.ReserveStock!.Retry!;
    expect(contention!.ErrorEquals).toEqual(['TransactionCanceledException']);
    expect(contention!.MaxAttempts).toBeGreaterThan(general!.MaxAttempts!);
  });

  it('bounds every task and the whole execution in time', () => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task')
        expect([name, (state as { TimeoutSeconds?: number }).TimeoutSeconds]).toEqual([name, expect.any(Number)]);
    }
    expect((definition as { TimeoutSeconds?: number }).TimeoutSeconds).toBeGreaterThan(0);
  });
});
