import '../local/polyfills';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../functions/core/data/table-design';
import { startLocalRuntime } from '../local/runtime';

/**
 * Offline figures for the foundation: how long the runtime takes to start, and how long an order takes from POST to
 * its terminal status, next to the raw DynamoDB Local round trip measured in the same run (the floor every step
 * pays several times). Usage: npm run bench:latency [-- <orders>]
 */
const orders = Number(process.argv[2] ?? 50);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(label: string, samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${label.padEnd(34)} p50 ${percentile(sorted, 50).toFixed(1).padStart(7)} ms   p95 ${percentile(sorted, 95)
    .toFixed(1)
    .padStart(7)} ms   max ${sorted.at(-1)!.toFixed(1).padStart(7)} ms   (n=${samples.length})`;
}

async function main() {
  const startedAt = performance.now();
  // Rate limits stay as configured: the bench runs one order at a time, well inside them.
  const runtime = await startLocalRuntime({ port: 0, inMemory: true, logLevel: 'SILENT' });
  const startupMs = performance.now() - startedAt;
  try {
    const api = runtime.apiUrl;
    const { accessToken } = runtime.tokens.issue('bench', ['customers']);
    const apiKey = runtime.apiKeys.find((key) => key.plan === 'customer-app')!.value;
    const headers = { authorization: `Bearer ${accessToken}`, 'x-api-key': apiKey, 'content-type': 'application/json' };

    const rawGets: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await runtime.documentClient.send(
        new GetCommand({ TableName: runtime.tableName, Key: keys.product('prod_paper_filters') }),
      );
      rawGets.push(performance.now() - t0);
    }

    // The end of an order is observed on the event bus (order.confirmed / order.failed), not by polling the API.
    const terminal = new Map<string, (type: string) => void>();
    const endedEarly = new Map<string, string>();
    runtime.aws.onEvent((event) => {
      const orderId = (event.detail as { data?: { orderId?: string } }).data?.orderId;
      if (orderId && (event.detailType === 'order.confirmed' || event.detailType === 'order.failed')) {
        const waiting = terminal.get(orderId);
        if (waiting) waiting(event.detailType);
        else endedEarly.set(orderId, event.detailType);
      }
    });
    const accepted: number[] = [];
    const endToEnd: number[] = [];
    for (let i = 0; i < orders; i++) {
      const t0 = performance.now();
      let resolveEnd!: (type: string) => void;
      const ended = new Promise<string>((resolve) => (resolveEnd = resolve));
      const response = await fetch(`${api}/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ items: [{ productId: 'prod_paper_filters', quantity: 1 }], paymentToken: 'tok_visa' }),
      });
      const { orderId } = (await response.json()) as { orderId: string };
      accepted.push(performance.now() - t0);
      terminal.set(orderId, resolveEnd);
      const early = endedEarly.get(orderId);
      if (early) resolveEnd(early);
      const type = await ended;
      if (type !== 'order.confirmed') throw new Error(`order ${orderId} ended with ${type}`);
      endToEnd.push(performance.now() - t0);
    }

    const rawP50 = [...rawGets].sort((a, b) => a - b)[Math.floor(rawGets.length / 2)]!;
    const e2eP50 = [...endToEnd].sort((a, b) => a - b)[Math.floor(endToEnd.length / 2)]!;
    console.log(`\nOffline order latency (${new Date().toISOString()}, node ${process.version})`);
    console.log(`runtime start (DynamoDB Local JVM, table, seed, handlers): ${(startupMs / 1000).toFixed(2)} s`);
    console.log(summary('baseline: DynamoDB Local GetItem', rawGets));
    console.log(summary('POST /orders → 202', accepted));
    console.log(summary('POST /orders → order.confirmed', endToEnd));
    console.log(`ratio: POST→CONFIRMED p50 = ${(e2eP50 / rawP50).toFixed(0)} × the raw GetItem p50`);
  } finally {
    await runtime.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
