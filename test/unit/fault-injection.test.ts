import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import middy from '@middy/core';
import * as z from 'zod/mini';
import {
  faultInjectionFromEnv,
  faultInjectionMiddleware,
  FaultInjector,
  parseFaultInjectionConfig,
  type FaultInjectionConfig,
} from '../../functions/core/observability/fault-injection';
import { logger } from '../../functions/core/observability/powertools';
import { taskHandler } from '../../functions/core/handlers/task-handler';
import { functionNameOf, lambdaContext } from '../../local/emulators/lambda-context';
import { sagaTasks, stateMachines, type SagaPlaceholder } from '../../statemachines/order-saga';

const injector = (config: FaultInjectionConfig) => new FaultInjector(parseFaultInjectionConfig(JSON.stringify(config)));
const draws = (faults: FaultInjector, functionName: string, count: number) =>
  Array.from({ length: count }, () => faults.forTask(functionName)?.mode ?? '-');

describe('FAULT_INJECTION parsing', () => {
  it('accepts the documented example', () => {
    const config = parseFaultInjectionConfig(
      '{"seed": 42, "rules": [{"target": "ReserveStock", "mode": "crash-after", "rate": 0.1},' +
        ' {"target": "payment-provider", "mode": "error", "rate": 0.2},' +
        ' {"target": "ConfirmOrder", "mode": "delay", "rate": 0.5, "delayMs": 200}]}',
    );
    expect(config.seed).toBe(42);
    expect(config.rules.map((rule) => rule.mode)).toEqual(['crash-after', 'error', 'delay']);
  });

  it.each([
    ['not JSON', '{rules: []}', /not valid JSON/],
    ['a rate above 1', '{"rules": [{"target": "ReserveStock", "mode": "error", "rate": 1.5}]}', /rules\.0\.rate/],
    ['a negative rate', '{"rules": [{"target": "ReserveStock", "mode": "error", "rate": -0.1}]}', /rules\.0\.rate/],
    ['an unknown mode', '{"rules": [{"target": "ReserveStock", "mode": "explode", "rate": 0.1}]}', /rules\.0\.mode/],
    ['a handler file name as target', '{"rules": [{"target": "reserve-stock", "mode": "error", "rate": 1}]}', /target/],
    [
      'an unknown key',
      '{"rules": [{"target": "ReserveStock", "mode": "error", "rate": 1, "delay_ms": 5}]}',
      /delay_ms/,
    ],
    ['a misspelt top-level key', '{"rule": []}', /invalid/],
    ['delay without delayMs', '{"rules": [{"target": "ReserveStock", "mode": "delay", "rate": 1}]}', /needs delayMs/],
    [
      'delayMs on an error',
      '{"rules": [{"target": "ReserveStock", "mode": "error", "rate": 1, "delayMs": 5}]}',
      /only/,
    ],
    ['timeout on a task', '{"rules": [{"target": "ReserveStock", "mode": "timeout", "rate": 1}]}', /only for payment/],
    ['a fractional seed', '{"seed": 1.5, "rules": []}', /seed/],
  ])('fails fast on %s', (_what, raw, message) => {
    expect(() => parseFaultInjectionConfig(raw)).toThrow(message);
  });

  it('reads the variable once per value: unset or blank means no injector at all', () => {
    expect(faultInjectionFromEnv({})).toBeUndefined();
    expect(faultInjectionFromEnv({ FAULT_INJECTION: '  ' })).toBeUndefined();
    const raw = '{"seed": 1, "rules": [{"target": "ReserveStock", "mode": "error", "rate": 1}]}';
    const first = faultInjectionFromEnv({ FAULT_INJECTION: raw });
    expect(first).toBeInstanceOf(FaultInjector);
    expect(faultInjectionFromEnv({ FAULT_INJECTION: raw })).toBe(first);
    expect(() => faultInjectionFromEnv({ FAULT_INJECTION: '{' })).toThrow(/FAULT_INJECTION is not valid JSON/);
  });
});

describe('injection decisions', () => {
  const config: FaultInjectionConfig = {
    seed: 42,
    rules: [
      { target: 'ReserveStock', mode: 'error', rate: 0.2 },
      { target: 'ReserveStock', mode: 'crash-after', rate: 0.2 },
      { target: 'payment-provider', mode: 'timeout', rate: 0.3 },
    ],
  };

  it('are reproducible with a seed, and differ with another seed', () => {
    const first = draws(injector(config), 'reserve-stock', 200);
    expect(draws(injector(config), 'reserve-stock', 200)).toEqual(first);
    expect(draws(injector({ ...config, seed: 43 }), 'reserve-stock', 200)).not.toEqual(first);
  });

  it("keep each rule's draws independent of other targets' traffic", () => {
    const quiet = injector(config);
    const busy = injector(config);
    const expected = draws(quiet, 'reserve-stock', 100);
    const got = Array.from({ length: 100 }, () => {
      busy.forPaymentProvider();
      busy.forTask('confirm-order');
      return busy.forTask('reserve-stock')?.mode ?? '-';
    });
    expect(got).toEqual(expected);
  });

  it('fire at about the configured rate; the first rule that fires wins', () => {
    const faults = injector(config);
    const outcomes = draws(faults, 'reserve-stock', 20_000);
    const share = (mode: string) => outcomes.filter((outcome) => outcome === mode).length / outcomes.length;
    expect(share('error')).toBeCloseTo(0.2, 1);
    // The second rule fires in 20% of the invocations the first one left alone.
    expect(share('crash-after')).toBeCloseTo(0.8 * 0.2, 1);
    const provider = Array.from({ length: 20_000 }, () => faults.forPaymentProvider()?.mode);
    expect(provider.filter((mode) => mode === 'timeout').length / provider.length).toBeCloseTo(0.3, 1);
  });

  it('never fire at rate 0 and always at rate 1', () => {
    const faults = injector({
      rules: [
        { target: 'ConfirmOrder', mode: 'error', rate: 0 },
        { target: 'ReleaseStock', mode: 'delay', rate: 1, delayMs: 5 },
      ],
    });
    expect(draws(faults, 'confirm-order', 1000).every((mode) => mode === '-')).toBe(true);
    expect(faults.forTask('release-stock')).toEqual({ target: 'ReleaseStock', mode: 'delay', delayMs: 5 });
  });

  it('match a task by its local, PascalCase or CDK-generated function name, and nothing else', () => {
    const faults = injector({ rules: [{ target: 'ReserveStock', mode: 'error', rate: 1 }] });
    for (const name of ['reserve-stock', 'ReserveStock', 'orders-dev-Service-SagaReserveStockFunction4F2A-Xy7Qw']) {
      expect(faults.forTask(name)?.mode).toBe('error');
    }
    for (const name of ['release-stock', 'confirm-order', '']) expect(faults.forTask(name)).toBeUndefined();
    expect(faults.forPaymentProvider()).toBeUndefined();
  });

  it.each(stateMachines.map((machine) => [machine.name, machine] as const))(
    'reach every Task state of the %s state machine through its handler',
    (_name, machine) => {
      const definition = JSON.parse(readFileSync(join(__dirname, '../..', machine.definitionFile), 'utf8')) as {
        States: Record<string, { Type: string; Resource?: string }>;
      };
      const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');
      expect(tasks.length).toBeGreaterThan(0);
      for (const [stateName, state] of tasks) {
        const placeholder = /^\$\{(\w+)\}$/.exec(state.Resource ?? '')?.[1] as SagaPlaceholder;
        const functionName = functionNameOf(sagaTasks[placeholder]);
        const faults = injector({ rules: [{ target: stateName, mode: 'error', rate: 1 }] });
        // A rule names the state; it finds the function because each state's handler file carries the state's name.
        expect({ stateName, fault: faults.forTask(functionName)?.target }).toEqual({ stateName, fault: stateName });
      }
    },
  );
});

describe('the task middleware', () => {
  const handlerWith = (config: FaultInjectionConfig) => {
    const work = jest.fn(async () => ({ done: true }));
    const handler = middy(work).use(faultInjectionMiddleware(injector(config)));
    return { work, invoke: () => handler({}, lambdaContext('reserve-stock')) };
  };

  it('error fails the invocation like a Lambda service fault, before any work', async () => {
    const { work, invoke } = handlerWith({ rules: [{ target: 'ReserveStock', mode: 'error', rate: 1 }] });
    await expect(invoke()).rejects.toMatchObject({ name: 'Lambda.ServiceException' });
    expect(work).not.toHaveBeenCalled();
  });

  it('crash-after does the work, then fails the invocation the same way', async () => {
    const { work, invoke } = handlerWith({ rules: [{ target: 'ReserveStock', mode: 'crash-after', rate: 1 }] });
    await expect(invoke()).rejects.toMatchObject({ name: 'Lambda.ServiceException' });
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('delay adds latency and lets the invocation succeed', async () => {
    const { invoke } = handlerWith({ rules: [{ target: 'ReserveStock', mode: 'delay', rate: 1, delayMs: 60 }] });
    const started = performance.now();
    await expect(invoke()).resolves.toEqual({ done: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('leaves other tasks alone', async () => {
    const { work, invoke } = handlerWith({ rules: [{ target: 'ConfirmOrder', mode: 'error', rate: 1 }] });
    await expect(invoke()).resolves.toEqual({ done: true });
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('is wired into taskHandler from FAULT_INJECTION at cold start', async () => {
    const previous = process.env.FAULT_INJECTION;
    logger.setLogLevel('SILENT');
    process.env.FAULT_INJECTION = JSON.stringify({ rules: [{ target: 'ConfirmOrder', mode: 'crash-after', rate: 1 }] });
    try {
      const run = jest.fn(async () => ({ status: 'CONFIRMED' }));
      const handler = taskHandler(z.object({ orderId: z.string() }), run);
      await expect(handler({ orderId: 'o-1' }, lambdaContext('confirm-order'))).rejects.toMatchObject({
        name: 'Lambda.ServiceException',
      });
      expect(run).toHaveBeenCalledTimes(1);
      await expect(handler({ orderId: 'o-1' }, lambdaContext('release-stock'))).resolves.toEqual({
        status: 'CONFIRMED',
      });
    } finally {
      if (previous === undefined) delete process.env.FAULT_INJECTION;
      else process.env.FAULT_INJECTION = previous;
    }
  });
});
