import '../local/runtime/polyfills';
// In this order: the functions' shared Powertools instances are created as in the deployed functions.
import './lib/powertools-environment';
import '../functions/core/observability/powertools';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { routeList } from '../functions/api/routes';
import { projectRoot } from '../local/runtime/local-runtime';
import { functionNameOf } from '../local/emulators/lambda-context';
import { bundleFunctions, emptyHandlerName, measureInitTimes } from './lib/cold-start';
import {
  costPerMillionOrders,
  loadPriceTable,
  type Bill,
  type CostVariant,
  type FunctionUsage,
  type OrderUsage,
} from './lib/cost-model';
import { deployedFunctions, type DeployedApp } from './lib/deployed-functions';
import { startInstrumentedSystem, type InstrumentedSystem } from './lib/instrumented-system';
import { apiAccessLogBytesPerRequest, lambdaPlatformLogBytesPerInvocation } from './lib/log-estimates';
import { OrderDriver, rawGetItemRate, timeRawGetItems, type TimedOrder } from './lib/order-driver';
import { createProgress } from './lib/progress';
import { costedEnvironment } from './lib/powertools-environment';
import {
  formatBytes,
  formatMs,
  formatRatio,
  formatUsd,
  mean,
  median,
  summarize,
  table,
  type LatencySummary,
} from './lib/stats';
import { runAs } from './lib/traffic-origin';
import { roundTripsPerCall, windowUsage, type WindowUsage } from './lib/usage';

/**
 * `npm run bench`: every offline performance and cost figure of the project in one run, each next to a baseline
 * measured in the same run (the machine is shared and noisy: compare ratios, not absolute numbers).
 *   1. cold-start   per function: minified bundle size and module init time, next to an empty handler
 *   2. per-order    latency, DynamoDB requests and capacity, round trips per API call, state transitions, Lambda
 *                   invocations and durations, events and log bytes per order
 *   3. throughput   orders per second from POST to terminal state at fixed concurrencies, next to the raw DynamoDB
 *                   Local request rate divided by the DynamoDB requests an order needs
 *   4. cost         cost per 1,000,000 orders from those counts and bench/prices.json
 * Options: --quick (shorter run), --only <parts> (comma-separated), --concurrency 8,32, --duration <s>,
 * --orders <n>, --spawns <n>. bench/README.md explains each figure and its caveats.
 */

const partNames = ['cold-start', 'per-order', 'throughput', 'cost'] as const;
type Part = (typeof partNames)[number];

interface Settings {
  readonly quick: boolean;
  readonly parts: ReadonlySet<Part>;
  /** Fresh Node processes per function for the init time median. */
  readonly spawns: number;
  /** Orders of the per-order window. */
  readonly orders: number;
  /** Calls per API route in the per-call windows. */
  readonly calls: number;
  readonly concurrency: readonly number[];
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly rawSeconds: number;
}

/** The modelled order: POST /orders, then one GET /orders/{id} by the client to see the outcome. */
const statusReadsPerOrder = 1;

function parseSettings(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      concurrency: { type: 'string' },
      duration: { type: 'string' },
      orders: { type: 'string' },
      spawns: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const positiveInt = (name: string, raw: string | undefined, fallback: number) => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1)
      throw new UsageError(`--${name} must be a positive integer, got "${raw}"`);
    return value;
  };
  const parts = values.only
    ? values.only.split(',').map((part) => {
        if (!(partNames as readonly string[]).includes(part)) {
          throw new UsageError(`--only takes ${partNames.join(', ')}; got "${part}"`);
        }
        return part as Part;
      })
    : [...partNames];
  const quick = values.quick ?? false;
  const concurrency = (values.concurrency ?? '8,32').split(',').map((raw) => positiveInt('concurrency', raw, 1));
  return {
    quick,
    parts: new Set(parts),
    spawns: positiveInt('spawns', values.spawns, quick ? 3 : 7),
    orders: positiveInt('orders', values.orders, quick ? 15 : 40),
    calls: quick ? 8 : 20,
    concurrency,
    warmupSeconds: quick ? 2 : 3,
    durationSeconds: positiveInt('duration', values.duration, quick ? 8 : 20),
    rawSeconds: quick ? 3 : 5,
  };
}

class UsageError extends Error {}

function heading(title: string) {
  console.log(`\n── ${title} ${'─'.repeat(Math.max(3, 116 - title.length))}`);
}

function loadLine(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');
}

async function main() {
  const settings = parseSettings(process.argv.slice(2));
  const startedAt = performance.now();
  const cpu = cpus();
  console.log(
    `Offline benchmarks — ${new Date().toISOString()}, node ${process.version}, ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'})` +
      `\nparts: ${[...settings.parts].join(', ')}${settings.quick ? ' (--quick)' : ''}; load average (1/5/15 min) at start: ${loadLine()}`,
  );

  const needsDeployed = settings.parts.has('cold-start') || settings.parts.has('cost');
  const deployed = needsDeployed ? deployedFunctions(costedEnvironment, projectRoot) : undefined;

  if (settings.parts.has('cold-start')) await coldStart(deployed!, settings);

  let perOrder: PerOrderResult | undefined;
  if (settings.parts.has('per-order') || settings.parts.has('throughput') || settings.parts.has('cost')) {
    const progress = createProgress();
    progress.update('starting the offline system (DynamoDB Local behind the counting proxy)...');
    const logLevel = deployed?.config.logLevel ?? 'INFO';
    const system = await startInstrumentedSystem({ logLevel, productCount: 16 });
    progress.done();
    try {
      // The throughput ratio needs the DynamoDB requests per order even when the per-order part is not printed.
      perOrder = await measurePerOrder(system, settings, settings.parts.has('per-order'), logLevel);
      if (settings.parts.has('throughput')) await throughput(system, settings, perOrder);
    } finally {
      await system.stop();
    }
  }

  if (settings.parts.has('cost')) cost(deployed!, perOrder!);

  console.log(
    `\nDone in ${((performance.now() - startedAt) / 1000).toFixed(0)} s; load average at the end: ${loadLine()}` +
      ' (a load above the core count means other work shared the machine).',
  );
}

// ── 1. cold start ──────────────────────────────────────────────────────────────────────────────────────────────

async function coldStart(deployed: DeployedApp, settings: Settings) {
  heading(`1. Per function: bundle size and module init time (fresh Node process, median of ${settings.spawns})`);
  const outDirectory = mkdtempSync(join(tmpdir(), 'orders-bench-bundles-'));
  const progress = createProgress();
  try {
    progress.update(`bundling ${deployed.functions.length} functions and the empty handler with esbuild...`);
    const { floor, bundles } = await bundleFunctions(deployed.functions, projectRoot, outDirectory);
    const subjects = [
      { name: floor.name, file: floor.file, environment: {} as Record<string, string> },
      ...bundles.map((bundle, index) => ({
        name: bundle.name,
        file: bundle.file,
        environment: { ...deployed.functions[index]!.environment },
      })),
    ];
    // The floor runs with the same NODE_OPTIONS as the functions, so the source-map flag is in both.
    subjects[0]!.environment.NODE_OPTIONS = deployed.functions[0]?.environment.NODE_OPTIONS ?? '';
    const timings = measureInitTimes(subjects, settings.spawns, (done, total) =>
      progress.update(`module init: ${done}/${total} fresh Node processes`),
    );
    progress.done();
    const floorInit = timings[0]!.medianMs;
    console.log(
      `floor: ${emptyHandlerName} bundled the same way = ${formatBytes(floor.bytes)}, init ${formatMs(floorInit)}` +
        ` (median of ${timings[0]!.samplesMs.length}); bundles: platform node, target node22, ESM, minified, nothing external`,
    );
    const rows = bundles.map((bundle, index) => {
      const fn = deployed.functions[index]!;
      const timing = timings[index + 1]!;
      return [
        bundle.name,
        fn.kind,
        `${fn.memoryMb}`,
        formatBytes(bundle.bytes),
        formatRatio(bundle.bytes, floor.bytes),
        timing.error ? 'failed' : formatMs(timing.medianMs),
        timing.error ? timing.error.slice(0, 60) : `+${formatMs(timing.medianMs - floorInit)}`,
        formatRatio(timing.medianMs, floorInit),
        bundle.packages
          .slice(0, 3)
          .map((pkg) => `${pkg.name} ${formatBytes(pkg.bytes)}`)
          .join(', '),
      ];
    });
    console.log(
      table(
        [
          'function',
          'kind',
          'MB',
          'bundle',
          'bundle × floor',
          'init p50',
          'init over floor',
          'init × floor',
          'largest packages in the bundle',
        ],
        rows,
      ),
    );
    const inits = timings.slice(1).filter((timing) => !timing.error);
    console.log(
      `median over functions: bundle ${formatBytes(median(bundles.map((bundle) => bundle.bytes)))}, ` +
        `init ${formatMs(median(inits.map((timing) => timing.medianMs)))} (${formatRatio(median(inits.map((timing) => timing.medianMs)), floorInit)} the floor)`,
    );
  } finally {
    progress.done();
    rmSync(outDirectory, { recursive: true, force: true });
  }
}

// ── 2. per order (measured first: the throughput ratio and the bill need its counts) ───────────────────────────

interface CallWindow {
  readonly label: string;
  readonly usage: WindowUsage;
  readonly handlerRequests: readonly number[];
  readonly depths: readonly number[];
  readonly handlerMs: LatencySummary;
  readonly failures: number;
}

interface PerOrderResult {
  readonly orders: WindowUsage;
  readonly statusRead: CallWindow;
  /** DynamoDB requests per order, everything included (API and saga). */
  readonly requestsPerOrder: number;
}

const functionOfRoute = (routeId: string) => {
  const route = routeList.find((candidate) => candidate.id === routeId);
  return route ? functionNameOf(route.handler) : routeId;
};

async function settle(system: InstrumentedSystem) {
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

async function measurePerOrder(
  system: InstrumentedSystem,
  settings: Settings,
  print: boolean,
  logLevel: string,
): Promise<PerOrderResult> {
  const progress = createProgress();
  const orderCount = print ? settings.orders : Math.min(settings.orders, 10);
  const driver = new OrderDriver(system.runtime, {
    productIds: system.productIds,
    customers: orderCount + 8,
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
    progress.done();
    const requestsPerOrder = orderWindow.dynamoDb.requests / orderWindow.units;
    if (print) printPerOrder(orders, rawGets, orderWindow, windows, logLevel);
    return { orders: orderWindow, statusRead: windows[1]!, requestsPerOrder };
  } finally {
    progress.done();
    driver.close();
  }
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
  heading(`2. Per order (${n} orders one after another: 1 line item, tok_visa, an Idempotency-Key; warm functions)`);
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
      `reports them${db.unreportedWriteUnits ? ` (+${per(db.unreportedWriteUnits)} WRU it does not report)` : ''}; ` +
      `${per(db.replicatedWriteUnits)} replicated WRU per replica region`,
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

// ── 3. throughput ──────────────────────────────────────────────────────────────────────────────────────────────

async function throughput(system: InstrumentedSystem, settings: Settings, perOrder: PerOrderResult) {
  heading(
    `3. End to end throughput (closed loop: each client places an order and waits for its terminal event; ` +
      `${settings.warmupSeconds} s warm-up, ${settings.durationSeconds} s measured)`,
  );
  const progress = createProgress();
  const rows: string[][] = [];
  const driver = new OrderDriver(system.runtime, {
    productIds: system.productIds,
    customers: 256,
    customerPrefix: 'load',
  });
  try {
    for (const concurrency of settings.concurrency) {
      system.reset();
      progress.update(`c=${concurrency}: raw DynamoDB Local GetItem rate for ${settings.rawSeconds} s...`);
      const rawRate = await runAs('bench:baseline', () =>
        rawGetItemRate(system.runtime, concurrency, settings.rawSeconds * 1000, system.productIds[0]!),
      );
      system.reset();

      const startedAt = performance.now();
      const windowStart = startedAt + settings.warmupSeconds * 1000;
      const windowEnd = windowStart + settings.durationSeconds * 1000;
      const completed: TimedOrder[] = [];
      const errors = new Map<string, number>();
      const ticker = setInterval(() => {
        const now = performance.now();
        const phase = now < windowStart ? 'warm-up' : 'measuring';
        const inWindow = completed.filter((order) => order.startedAt + order.endToEndMs >= windowStart).length;
        progress.update(
          `c=${concurrency}: ${phase} ${((now - startedAt) / 1000).toFixed(0)}/${settings.warmupSeconds + settings.durationSeconds} s, ` +
            `${completed.length} orders done${now >= windowStart ? `, ${(inWindow / ((now - windowStart) / 1000)).toFixed(1)} orders/s` : ''}`,
        );
      }, 500);
      ticker.unref();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (performance.now() < windowEnd) {
            try {
              completed.push(await driver.placeAndAwait());
            } catch (error) {
              const key = (error as Error).message.slice(0, 80);
              errors.set(key, (errors.get(key) ?? 0) + 1);
            }
          }
        }),
      );
      clearInterval(ticker);
      await settle(system);
      const ended = (order: TimedOrder) => order.startedAt + order.endToEndMs;
      const inWindow = completed.filter((order) => ended(order) >= windowStart && ended(order) <= windowEnd);
      const ordersPerSecond = inWindow.length / settings.durationSeconds;
      const latency = summarize(inWindow.map((order) => order.endToEndMs));
      const recordsInWindow = system.proxy
        .records()
        .filter((record) => record.startedAt >= windowStart && record.startedAt <= windowEnd);
      const requestsInWindow = recordsInWindow.length;
      const dynamoDbErrors = new Map<string, number>();
      for (const record of recordsInWindow) {
        if (record.errorType) dynamoDbErrors.set(record.errorType, (dynamoDbErrors.get(record.errorType) ?? 0) + 1);
      }
      const retries = system.probe.executions().reduce((sum, execution) => sum + execution.retries, 0);
      const ceiling = rawRate / perOrder.requestsPerOrder;
      const failed = inWindow.filter((order) => order.outcome !== 'order.confirmed').length;
      const errorCount = [...errors.values()].reduce((sum, count) => sum + count, 0);
      rows.push([
        `${concurrency}`,
        ordersPerSecond.toFixed(1),
        formatMs(latency.p50),
        formatMs(latency.p95),
        formatMs(latency.p99),
        `${failed}/${errorCount}`,
        (requestsInWindow / settings.durationSeconds).toFixed(0),
        rawRate.toFixed(0),
        perOrder.requestsPerOrder.toFixed(1),
        ceiling.toFixed(1),
        formatRatio(ordersPerSecond, ceiling),
      ]);
      progress.done();
      for (const [message, count] of errors) console.log(`  c=${concurrency}: ${count} × ${message}`);
      if (dynamoDbErrors.size > 0 || retries > 0) {
        console.log(
          `  c=${concurrency}: ${retries} saga state retries; DynamoDB errors in the window: ` +
            ([...dynamoDbErrors.entries()].map(([type, count]) => `${type} × ${count}`).join(', ') || 'none'),
        );
      }
    }
  } finally {
    progress.done();
    driver.close();
  }
  console.log(
    table(
      [
        'clients',
        'orders/s',
        'p50',
        'p95',
        'p99',
        'failed/errors',
        'DynamoDB req/s',
        'raw GetItem/s',
        'req/order',
        'ceiling orders/s',
        'of ceiling',
      ],
      rows,
    ),
  );
  console.log(
    'ceiling = raw DynamoDB Local GetItem rate at the same concurrency (same proxy, same run) ÷ DynamoDB requests per ' +
      'order; "of ceiling" = measured orders/s ÷ ceiling. Client, gateway, handlers, saga engine, proxy and the ' +
      'DynamoDB Local JVM share the same cores.',
  );
}

// ── 4. cost ────────────────────────────────────────────────────────────────────────────────────────────────────

function orderUsageFrom(deployed: DeployedApp, perOrder: PerOrderResult): OrderUsage {
  const { orders, statusRead } = perOrder;
  const windows = [
    { usage: orders, weight: 1 },
    { usage: statusRead.usage, weight: statusReadsPerOrder },
  ];
  const perOrderOf = (value: (usage: WindowUsage) => number) =>
    windows.reduce((sum, { usage, weight }) => sum + (value(usage) / usage.units) * weight, 0);

  const names = new Set(windows.flatMap(({ usage }) => [...usage.functions.keys()]));
  const functions: FunctionUsage[] = [...names].map((name) => {
    const deployedFunction = deployed.functions.find((fn) => fn.name === name);
    if (!deployedFunction)
      throw new Error(`function ${name} ran offline but the ${deployed.envName} app does not deploy it`);
    return {
      name,
      memoryMb: deployedFunction.memoryMb,
      architecture: deployedFunction.architecture === 'arm64' ? 'arm64' : 'x86_64',
      invocationsPerOrder: perOrderOf((usage) => usage.functions.get(name)?.invocations ?? 0),
      billedMsPerOrder: perOrderOf((usage) => usage.functions.get(name)?.billedMs ?? 0),
    };
  });
  const invocations = functions.reduce((sum, fn) => sum + fn.invocationsPerOrder, 0);
  const apiRequests = perOrderOf((usage) =>
    [...usage.functions.entries()]
      .filter(([name]) => deployed.functions.find((fn) => fn.name === name)?.kind === 'api')
      .reduce((sum, [, fn]) => sum + fn.invocations, 0),
  );
  return {
    apiRequestsPerOrder: apiRequests,
    functions,
    workflows: [...orders.workflows.entries()].map(([machine, workflow]) => ({
      machine,
      executionsPerOrder: workflow.executions / orders.units,
      transitionsPerOrder: (workflow.statesEntered + workflow.retries) / orders.units,
      billedExpressMsPerOrder: workflow.billedExpressMs / orders.units,
      logBytesAtLevelAllPerOrder: workflow.logBytesAtLevelAll / orders.units,
    })),
    dynamoDb: {
      readUnitsPerOrder: perOrderOf((usage) => usage.dynamoDb.readUnits),
      writeUnitsPerOrder: perOrderOf((usage) => usage.dynamoDb.writeUnits + usage.dynamoDb.unreportedWriteUnits),
      replicatedWriteUnitsPerOrder: perOrderOf((usage) => usage.dynamoDb.replicatedWriteUnits),
    },
    eventsPerOrder: perOrderOf((usage) => usage.events),
    eventBytesPerOrder: perOrderOf((usage) => usage.eventBytes),
    logBytesPerOrder: {
      lambdaApplication: perOrderOf((usage) => usage.applicationLogBytes),
      lambdaPlatform: invocations * lambdaPlatformLogBytesPerInvocation,
      apiAccess: apiRequests * apiAccessLogBytesPerRequest,
    },
  };
}

function cost(deployed: DeployedApp, perOrder: PerOrderResult) {
  const prices = loadPriceTable(join(projectRoot, 'bench', 'prices.json'));
  const usage = orderUsageFrom(deployed, perOrder);
  const sampleRate = deployed.config.tracingSampleRate;
  const variants: CostVariant[] = [
    { label: 'Express', workflowType: 'EXPRESS', replicaRegions: 0, tracingSampleRate: sampleRate },
    { label: 'Express +1 replica', workflowType: 'EXPRESS', replicaRegions: 1, tracingSampleRate: sampleRate },
    { label: 'Standard', workflowType: 'STANDARD', replicaRegions: 0, tracingSampleRate: sampleRate },
    { label: 'Standard +1 replica', workflowType: 'STANDARD', replicaRegions: 1, tracingSampleRate: sampleRate },
  ];
  const bills: Bill[] = variants.map((variant) => costPerMillionOrders(usage, prices, variant));
  heading(`4. Cost per 1,000,000 orders (${prices.region} list prices from bench/prices.json, USD)`);
  console.log(
    `Modelled order: POST /orders (saga to CONFIRMED) + ${statusReadsPerOrder} GET /orders/{orderId}, with the counts measured above; ` +
      `${deployed.envName} settings from the CDK app: memory per function, arm64, tracing ${(sampleRate * 100).toFixed(0)} %, ` +
      `log level ${deployed.config.logLevel}. Lambda and Express durations are offline measurements (an approximation).`,
  );
  const keyOf = (item: { service: string; item: string }) =>
    `${item.service} — ${item.item.replace(/ \(\d+ replicas?\)$/, '')}`;
  const keys = new Map<string, number>();
  for (const bill of bills) {
    for (const item of bill.items) keys.set(keyOf(item), Math.max(keys.get(keyOf(item)) ?? 0, item.usd));
  }
  const rows = [...keys.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([key]) => [
      key,
      ...bills.map((bill) => {
        const item = bill.items.find((candidate) => keyOf(candidate) === key);
        return item ? formatUsd(item.usd) : '–';
      }),
    ]);
  rows.push(['total per 1,000,000 orders', ...bills.map((bill) => formatUsd(bill.totalUsd))]);
  rows.push(['per order', ...bills.map((bill) => formatUsd(bill.totalUsd / 1_000_000))]);
  console.log(table(['line item', ...variants.map((variant) => variant.label)], rows));
  const express = bills[0]!;
  const standard = bills[2]!;
  console.log(
    `Standard costs ${formatRatio(standard.totalUsd, express.totalUsd)} Express per order; one replica region adds ` +
      `${formatUsd(bills[1]!.totalUsd - express.totalUsd)} per million orders. Quantities per order: ` +
      `${usage.apiRequestsPerOrder.toFixed(2)} API requests, ${usage.functions.reduce((sum, fn) => sum + fn.invocationsPerOrder, 0).toFixed(2)} Lambda invocations, ` +
      `${usage.dynamoDb.writeUnitsPerOrder.toFixed(2)} WRU, ${usage.dynamoDb.readUnitsPerOrder.toFixed(2)} RRU, ` +
      `${usage.workflows.reduce((sum, workflow) => sum + workflow.transitionsPerOrder, 0).toFixed(2)} state transitions, ` +
      `${usage.eventsPerOrder.toFixed(2)} events, ` +
      `${formatBytes(usage.logBytesPerOrder.lambdaApplication + usage.logBytesPerOrder.lambdaPlatform + usage.logBytesPerOrder.apiAccess)} logs + ` +
      `${formatBytes(usage.workflows.reduce((sum, workflow) => sum + workflow.logBytesAtLevelAllPerOrder, 0))} Express workflow logs.`,
  );
  const workflowUsd = (bill: Bill) =>
    bill.items.filter((item) => item.service === 'Step Functions').reduce((sum, item) => sum + item.usd, 0);
  console.log(
    `The saga workflow alone: Express ${formatUsd(workflowUsd(express))}, Standard ${formatUsd(workflowUsd(standard))} ` +
      `per million orders (${formatRatio(workflowUsd(standard), workflowUsd(express))}).`,
  );
  console.log(
    'Not per order (see bench/README.md): KMS key and table-key refreshes, secrets, web ACL and rules, AppConfig, alarms, API cache.',
  );
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(
      `${error.message}\nusage: npm run bench -- [--quick] [--only ${partNames.join(',')}] [--concurrency 8,32] [--duration <s>] [--orders <n>] [--spawns <n>]`,
    );
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
