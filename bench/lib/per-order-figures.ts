import { routeList } from '../../functions/api/routes';
import { functionNameOf } from '../../local/emulators/lambda-context';
import type { Settings } from './benchmark-settings';
import type { InstrumentedSystem } from './instrumented-system';
import { OrderDriver, timeRawGetItems, type TimedOrder } from './order-driver';
import { createProgress } from './progress';
import {
  formatBytes,
  formatMs,
  formatRatio,
  heading,
  mean,
  median,
  summarize,
  table,
  type LatencySummary,
} from './stats';
import { runAs } from './traffic-origin';
import { roundTripsPerCall, windowUsage, type WindowUsage } from './usage';
import { renderWriteBreakdown, writeBreakdown, type WriteBreakdown } from './write-breakdown';

/**
 * Part 2 of `npm run bench`, measured first because the throughput ratio and the bill need its counts: latency,
 * DynamoDB requests and capacity, round trips per API call, state transitions, Lambda invocations, events and log
 * bytes per order.
 */

interface CallWindow {
  readonly label: string;
  readonly usage: WindowUsage;
  readonly handlerRequests: readonly number[];
  readonly depths: readonly number[];
  readonly handlerMs: LatencySummary;
  readonly failures: number;
}

export interface PerOrderResult {
  readonly orders: WindowUsage;
  readonly statusRead: CallWindow;
  /** DynamoDB requests per order, everything included (API and saga). */
  readonly requestsPerOrder: number;
  /** The orders' writes with every item measured: the write units AWS bills for them (DynamoDB Local under-reports transactions). */
  readonly writes: { readonly breakdown: WriteBreakdown; readonly orders: number };
}

const functionOfRoute = (routeId: string) => {
  const route = routeList.find((candidate) => candidate.id === routeId);
  return route ? functionNameOf(route.handler) : routeId;
};

export async function settle(system: InstrumentedSystem) {
  await system.runtime.drain(60_000);
  const deadline = Date.now() + 10_000;
  while (system.probe.pending() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

function snapshot(system: InstrumentedSystem, units: number): WindowUsage {
  return windowUsage({
    units,
    records: system.proxy.records(),
    tasks: system.probe.tasks(),
    executions: system.probe.executions(),
    served: system.served(),
    events: system.events(),
    logBytes: system.logBytes(),
    replicatedTable: system.runtime.tableName,
    functionOfRoute,
  });
}

export async function measurePerOrder(
  system: InstrumentedSystem,
  settings: Settings,
  print: boolean,
  logLevel: string,
): Promise<PerOrderResult> {
  const progress = createProgress();
  const orderCount = print ? settings.orders : Math.min(settings.orders, 10);
  const driver = new OrderDriver(system.runtime, {
    productIds: system.productIds,
    // The orders of the write breakdown window come after the measured ones: every order has a customer of its own.
    customers: orderCount + 16,
    customerPrefix: 'per-order',
  });
  try {
    // Warm-up: every handler involved loads once and fills its caches, as in a warm Lambda instance.
    progress.update('warming up (orders and each API call once)...');
    const warm = [await driver.placeAndAwait(), await driver.placeAndAwait(), await driver.placeAndAwait()];
    await driver.call('GET', `/orders/${warm[0]!.orderId}`, warm[0]!.customer);
    await driver.call('GET', '/orders', warm[0]!.customer);
    await driver.call('GET', '/products', warm[0]!.customer);
    await driver.call('POST', `/orders/${warm[1]!.orderId}/cancel`, warm[1]!.customer);
    await settle(system);

    const rawGets = await runAs('bench:baseline', () => timeRawGetItems(system.runtime, 200, system.productIds[0]!));
    system.reset();
    const orders: TimedOrder[] = [];
    for (let i = 0; i < orderCount; i++) {
      progress.update(`per order: ${i + 1}/${orderCount} orders, one after another`);
      orders.push(await driver.placeAndAwait());
    }
    await settle(system);
    const orderWindow = snapshot(system, orders.length);
    const placeServed = system.served();
    const placeTrips = roundTripsPerCall(placeServed, system.proxy.records());
    const placeWindow: CallWindow = {
      label: 'POST /orders (then the saga)',
      usage: orderWindow,
      handlerRequests: placeTrips.requests,
      depths: placeTrips.depths,
      handlerMs: summarize(placeServed.map((request) => request.durationMs)),
      failures: orders.filter((order) => order.outcome !== 'order.confirmed').length,
    };
    const confirmed = orders.filter((order) => order.outcome === 'order.confirmed');
    if (confirmed.length === 0) throw new Error('no order was confirmed: the per-order figures would be meaningless');

    const callWindow = async (label: string, count: number, call: (order: TimedOrder) => Promise<number>) => {
      system.reset();
      let failures = 0;
      for (let i = 0; i < count; i++) {
        progress.update(`per API call: ${label} ${i + 1}/${count}`);
        const status = await call(confirmed[i % confirmed.length]!);
        if (status >= 300) failures++;
      }
      await settle(system);
      const served = system.served();
      const trips = roundTripsPerCall(served, system.proxy.records());
      return {
        label,
        usage: snapshot(system, count),
        handlerRequests: trips.requests,
        depths: trips.depths,
        handlerMs: summarize(served.map((request) => request.durationMs)),
        failures,
      };
    };
    const get = (path: (order: TimedOrder) => string) => async (order: TimedOrder) =>
      (await driver.call('GET', path(order), order.customer)).status;
    const calls = print ? settings.calls : 3;
    const windows: CallWindow[] = [
      placeWindow,
      await callWindow(
        'GET /orders/{orderId}',
        calls,
        get((order) => `/orders/${order.orderId}`),
      ),
      await callWindow(
        'GET /orders',
        calls,
        get(() => '/orders'),
      ),
      await callWindow(
        'GET /products',
        calls,
        get(() => '/products'),
      ),
    ];
    if (print) {
      const cancellable = Math.min(calls, confirmed.length);
      windows.push(
        await callWindow(
          'POST /orders/{orderId}/cancel',
          cancellable,
          async (order) => (await driver.call('POST', `/orders/${order.orderId}/cancel`, order.customer)).status,
        ),
      );
    }
    const writes = await writeBreakdownWindow(system, driver, print && !settings.quick ? 5 : 3, progress);
    progress.done();
    const requestsPerOrder = orderWindow.dynamoDb.requests / orderWindow.units;
    if (print) printPerOrder(orders, rawGets, orderWindow, windows, logLevel);
    if (print) printWriteBreakdown(writes, orderWindow);
    return { orders: orderWindow, statusRead: windows[1]!, requestsPerOrder, writes };
  } finally {
    progress.done();
    driver.close();
  }
}

/**
 * A window of its own for the write breakdown: the proxy reads items back to measure them, which delays the
 * handlers, so no latency of these orders is reported.
 */
async function writeBreakdownWindow(
  system: InstrumentedSystem,
  driver: OrderDriver,
  count: number,
  progress: ReturnType<typeof createProgress>,
): Promise<{ readonly breakdown: WriteBreakdown; readonly orders: number }> {
  system.reset();
  system.proxy.measureItems(true);
  try {
    for (let i = 0; i < count; i++) {
      progress.update(`write breakdown: ${i + 1}/${count} orders with item sizes measured`);
      await driver.placeAndAwait();
    }
    await settle(system);
  } finally {
    system.proxy.measureItems(false);
  }
  return { breakdown: writeBreakdown(system.proxy.records(), system.runtime.tableName), orders: count };
}

function printWriteBreakdown(writes: { breakdown: WriteBreakdown; orders: number }, usage: WindowUsage) {
  const reported = (usage.dynamoDb.writeUnits + usage.dynamoDb.unreportedWriteUnits) / usage.units;
  const per = (value: number) => (value / writes.orders).toFixed(2);
  console.log(
    `\nWRU per order by write (${writes.orders} more orders with every item's size read back; each action of a ` +
      `transaction billed as AWS bills it, 2 per item and KB, index entries as DynamoDB reported them)`,
  );
  console.log(renderWriteBreakdown(writes.breakdown, writes.orders));
  console.log(
    `AWS bills ${per(writes.breakdown.writeUnits)} WRU per order and ${per(writes.breakdown.replicatedWriteUnits)} ` +
      `replicated WRU per replica region (the cost in part 4); DynamoDB Local reported ${reported.toFixed(2)} WRU per ` +
      `order above: it adds up only the distinct per-item figures of a transaction.`,
  );
}

function printPerOrder(
  orders: readonly TimedOrder[],
  rawGets: readonly number[],
  usage: WindowUsage,
  calls: readonly CallWindow[],
  logLevel: string,
) {
  const n = usage.units;
  const per = (value: number) => (value / n).toFixed(2);
  heading(
    `2. Per order (${n} orders one after another: 1 line item, pm_card_visa, an Idempotency-Key; warm functions)`,
  );
  const raw = summarize(rawGets);
  const accepted = summarize(orders.map((order) => order.acceptedMs));
  const endToEnd = summarize(orders.map((order) => order.endToEndMs));
  const failed = orders.filter((order) => order.outcome !== 'order.confirmed').length;
  console.log(
    table(
      ['latency', 'p50', 'p95', 'p99', '× raw GetItem p50'],
      [
        [
          'baseline: DynamoDB Local GetItem (same proxy)',
          formatMs(raw.p50),
          formatMs(raw.p95),
          formatMs(raw.p99),
          '1×',
        ],
        [
          'POST /orders → 202',
          formatMs(accepted.p50),
          formatMs(accepted.p95),
          formatMs(accepted.p99),
          formatRatio(accepted.p50, raw.p50),
        ],
        [
          `POST /orders → terminal event${failed ? ` (${failed} failed)` : ''}`,
          formatMs(endToEnd.p50),
          formatMs(endToEnd.p95),
          formatMs(endToEnd.p99),
          formatRatio(endToEnd.p50, raw.p50),
        ],
      ],
    ),
  );

  const db = usage.dynamoDb;
  console.log(
    `\nDynamoDB per order: ${per(db.requests)} requests; ${per(db.readUnits)} RRU, ${per(db.writeUnits)} WRU as DynamoDB Local ` +
      `reports them${db.unreportedWriteUnits ? ` (+${per(db.unreportedWriteUnits)} WRU it does not report)` : ''}, ` +
      `which is less than AWS bills for transactions (the write breakdown below has the billed figure)`,
  );
  console.log(
    `  by operation: ${[...db.byOperation.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([operation, count]) => `${operation} ${per(count)}`)
      .join(', ')}`,
  );
  console.log(
    table(
      ['sent by', 'requests/order', 'RRU/order', 'WRU/order'],
      [...usage.dynamoDbByOrigin.entries()]
        .sort((a, b) => b[1].requests - a[1].requests)
        .map(([origin, totals]) => [origin, per(totals.requests), per(totals.readUnits), per(totals.writeUnits)]),
    ),
  );

  console.log('');
  for (const [machine, workflow] of usage.workflows) {
    const durations = summarize(workflow.durationsMs);
    console.log(
      `Step Functions ${machine}: ${per(workflow.executions)} executions/order, ${per(workflow.statesEntered)} states entered ` +
        `+ ${per(workflow.retries)} retries = ${per(workflow.statesEntered + workflow.retries)} state transitions/order (Standard billing); ` +
        `execution p50 ${formatMs(durations.p50)}, billed as Express ${formatMs(workflow.billedExpressMs / workflow.executions)} on average (100 ms steps)`,
    );
  }
  const invocations = [...usage.functions.values()].reduce((sum, fn) => sum + fn.invocations, 0);
  console.log(
    `Lambda: ${per(invocations)} invocations per order (durations are in-process offline: see bench/README.md)`,
  );
  console.log(
    table(
      ['function', 'invocations/order', 'p50', 'mean', 'billed ms/order'],
      [...usage.functions.entries()].map(([name, fn]) => [
        name,
        per(fn.invocations),
        formatMs(median(fn.durationsMs)),
        formatMs(mean(fn.durationsMs)),
        per(fn.billedMs),
      ]),
    ),
  );
  console.log(
    `EventBridge: ${per(usage.events)} events per order (${formatBytes(usage.eventBytes / Math.max(1, usage.events))} each); ` +
      `function log lines (${logLevel}) and metrics (EMF): ${formatBytes(usage.applicationLogBytes / n)} per order`,
  );

  console.log(
    '\nPer API call (one after another, warm; "handler" = requests the API function itself made while the call was served)',
  );
  console.log(
    table(
      [
        'call',
        'n',
        'handler requests',
        'sequential round trips',
        'requests after (workflow)',
        'RRU',
        'WRU',
        'transitions',
        'served p50',
        'failed',
      ],
      calls.map((call) => {
        const units = call.usage.units;
        const handlerTotal = call.handlerRequests.reduce((sum, value) => sum + value, 0);
        const transitions = [...call.usage.workflows.values()].reduce(
          (sum, workflow) => sum + workflow.statesEntered + workflow.retries,
          0,
        );
        return [
          call.label,
          `${units}`,
          (handlerTotal / units).toFixed(2),
          `${mean(call.depths).toFixed(2)} (max ${Math.max(...call.depths)})`,
          ((call.usage.dynamoDb.requests - handlerTotal) / units).toFixed(2),
          (call.usage.dynamoDb.readUnits / units).toFixed(2),
          ((call.usage.dynamoDb.writeUnits + call.usage.dynamoDb.unreportedWriteUnits) / units).toFixed(2),
          (transitions / units).toFixed(2),
          formatMs(call.handlerMs.p50),
          `${call.failures}`,
        ];
      }),
    ),
  );
}
