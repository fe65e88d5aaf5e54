import '../local/runtime/polyfills';
import { startLocalRuntime } from '../local/runtime/local-runtime';
import { demoCatalog } from '../local/runtime/seed-data';
import { benchProducts, benchRiskThresholds, OrderDriver, timeRawGetItems } from './lib/order-driver';
import { formatRatio, summarize } from './lib/stats';

/**
 * Offline figures for the foundation: how long the runtime takes to start, and how long an order takes from POST to
 * its terminal status, next to the raw DynamoDB Local round trip measured in the same run (the floor every step
 * pays several times). Usage: npm run bench:latency [-- <orders>]
 * `npm run bench` measures the same (through its counting proxy) along with everything else.
 */
const orders = Number(process.argv[2] ?? 50);

function line(label: string, samples: number[]): string {
  const summary = summarize(samples);
  return `${label.padEnd(34)} p50 ${summary.p50.toFixed(1).padStart(7)} ms   p95 ${summary.p95
    .toFixed(1)
    .padStart(7)} ms   max ${summary.max.toFixed(1).padStart(7)} ms   (n=${summary.count})`;
}

async function main() {
  if (!Number.isInteger(orders) || orders < 1)
    throw new Error(`orders must be a positive integer, got ${process.argv[2]}`);
  const products = benchProducts(4);
  const startedAt = performance.now();
  // Rate limits stay as configured: the bench runs one order at a time, well inside them.
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    logLevel: 'SILENT',
    riskThresholds: benchRiskThresholds(),
    seedCatalog: [...demoCatalog, ...products],
  });
  const startupMs = performance.now() - startedAt;
  try {
    const rawGets = await timeRawGetItems(runtime, 200, products[0]!.productId);
    const driver = new OrderDriver(runtime, { productIds: products.map((p) => p.productId), customers: 1 });
    const accepted: number[] = [];
    const endToEnd: number[] = [];
    for (let i = 0; i < orders; i++) {
      const order = await driver.placeAndAwait();
      if (order.outcome !== 'order.confirmed') throw new Error(`order ${order.orderId} ended with ${order.outcome}`);
      accepted.push(order.acceptedMs);
      endToEnd.push(order.endToEndMs);
    }
    driver.close();

    console.log(`\nOffline order latency (${new Date().toISOString()}, node ${process.version})`);
    console.log(`runtime start (DynamoDB Local JVM, table, seed, handlers): ${(startupMs / 1000).toFixed(2)} s`);
    console.log(line('baseline: DynamoDB Local GetItem', rawGets));
    console.log(line('POST /orders → 202', accepted));
    console.log(line('POST /orders → order.confirmed', endToEnd));
    console.log(
      `ratio: POST→CONFIRMED p50 = ${formatRatio(summarize(endToEnd).p50, summarize(rawGets).p50)} the raw GetItem p50`,
    );
  } finally {
    await runtime.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
