import type { Settings } from './benchmark-settings';
import type { InstrumentedSystem } from './instrumented-system';
import { OrderDriver, rawGetItemRate, type TimedOrder } from './order-driver';
import { settle, type PerOrderResult } from './per-order-figures';
import { createProgress } from './progress';
import { formatMs, formatRatio, heading, summarize, table } from './stats';
import { cpuMsSince, runAs } from './traffic-origin';

/**
 * Part 3 of `npm run bench`: orders per second from POST to terminal state at fixed concurrencies, next to the raw
 * DynamoDB Local request rate divided by the DynamoDB requests an order needs.
 */
export async function throughput(system: InstrumentedSystem, settings: Settings, perOrder: PerOrderResult) {
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
      // The process's CPU time over the measured window (user + system, all its threads).
      let windowCpu: NodeJS.CpuUsage | undefined;
      let cpuMs: number | undefined;
      const windowTimers = [
        setTimeout(() => (windowCpu = process.cpuUsage()), windowStart - performance.now()),
        setTimeout(() => (cpuMs = windowCpu && cpuMsSince(windowCpu)), windowEnd - performance.now()),
      ];
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
      windowTimers.forEach(clearTimeout);
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
        cpuMs === undefined || inWindow.length === 0 ? '-' : formatMs(cpuMs / inWindow.length),
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
        'CPU/order',
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
      'DynamoDB Local JVM share the same cores. CPU/order = CPU time of this Node process (system, proxy and ' +
      'clients; not the JVM) in the window ÷ orders that ended in it: other work on the machine moves it less ' +
      'than orders/s.',
  );
}
