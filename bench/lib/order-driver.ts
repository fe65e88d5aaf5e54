import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/core/data/table-design';
import type { Product } from '../../functions/core/domain/product';
import type { LocalRuntime } from '../../local/runtime/local-runtime';
import { orderBody } from './order-body';
import { bundledRiskModel } from '../../functions/core/risk/risk-decision';

/**
 * Places orders through the local gateway as a client would (access token, API key, Idempotency-Key) and observes
 * their end on the event bus (order.confirmed / order.failed), not by polling the API, so the measurement adds no
 * load of its own. Shared by every benchmark that times orders.
 */

export type OrderOutcome = 'order.confirmed' | 'order.failed';

export interface TimedOrder {
  readonly orderId: string;
  /** Which of the driver's customers placed it (see `tokenFor`). */
  readonly customer: number;
  readonly outcome: OrderOutcome;
  readonly startedAt: number;
  /** POST /orders → 202. */
  readonly acceptedMs: number;
  /** POST /orders → the terminal event. */
  readonly endToEndMs: number;
}

/** Products for benchmark orders: plenty of stock, spread over several items so that orders do not all contend for one. */
export function benchProducts(count: number): Product[] {
  return Array.from({ length: count }, (_, index) => ({
    productId: `prod_bench_${String(index).padStart(2, '0')}`,
    name: `Benchmark item ${index}`,
    description: 'Stocked for benchmark runs',
    price: { amount: 990, currency: 'EUR' },
    active: true,
    available: 100_000_000,
    sold: 0,
    version: 1,
  }));
}

export class OrderDriver {
  private readonly waiting = new Map<string, (outcome: OrderOutcome) => void>();
  private readonly endedEarly = new Map<string, OrderOutcome>();
  private readonly apiKey: string;
  private readonly tokens: string[];
  private placed = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly runtime: LocalRuntime,
    private readonly options: {
      readonly productIds: readonly string[];
      /** Distinct customers the orders rotate through (the risk check limits orders per customer and hour). */
      readonly customers: number;
      readonly customerPrefix?: string;
    },
  ) {
    const key = runtime.apiKeys.find((apiKey) => apiKey.plan === 'customer-app');
    if (!key) throw new Error('the local runtime has no customer-app API key');
    this.apiKey = key.value;
    // Minted up front: signing a token costs CPU that should not be measured with the orders.
    this.tokens = Array.from(
      { length: options.customers },
      (_, index) => runtime.tokens.issue(`${options.customerPrefix ?? 'bench'}-${index}`, ['customers']).accessToken,
    );
    this.unsubscribe = runtime.aws.onEvent((event) => {
      if (event.detailType !== 'order.confirmed' && event.detailType !== 'order.failed') return;
      const orderId = (event.detail as { data?: { orderId?: string } }).data?.orderId;
      if (!orderId) return;
      const waiter = this.waiting.get(orderId);
      if (waiter) {
        this.waiting.delete(orderId);
        waiter(event.detailType);
      } else {
        this.endedEarly.set(orderId, event.detailType);
      }
    });
  }

  headers(token = this.tokens[0]!): Record<string, string> {
    return { authorization: `Bearer ${token}`, 'x-api-key': this.apiKey, 'content-type': 'application/json' };
  }

  /** A customer token (round robin), for API calls other than placing orders. */
  tokenFor(index: number): string {
    return this.tokens[index % this.tokens.length]!;
  }

  /** Places one order and resolves when the saga has ended it. */
  async placeAndAwait(): Promise<TimedOrder> {
    const sequence = this.placed++;
    const productId = this.options.productIds[sequence % this.options.productIds.length]!;
    const startedAt = performance.now();
    const response = await fetch(`${this.runtime.apiUrl}/orders`, {
      method: 'POST',
      headers: { ...this.headers(this.tokenFor(sequence)), 'idempotency-key': randomUUID() },
      body: orderBody([{ productId, quantity: 1 }], 'pm_card_visa'),
    });
    const body = (await response.json()) as { orderId?: string };
    const acceptedMs = performance.now() - startedAt;
    if (response.status !== 202 || !body.orderId) {
      throw new Error(`POST /orders answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
    }
    const orderId = body.orderId;
    const outcome = await new Promise<OrderOutcome>((resolve) => {
      const early = this.endedEarly.get(orderId);
      if (early) {
        this.endedEarly.delete(orderId);
        resolve(early);
      } else {
        this.waiting.set(orderId, resolve);
      }
    });
    return {
      orderId,
      customer: sequence % this.tokens.length,
      outcome,
      startedAt,
      acceptedMs,
      endToEndMs: performance.now() - startedAt,
    };
  }

  /** One API call as `customer`; POSTs carry a fresh Idempotency-Key. */
  async call(method: 'GET' | 'POST', path: string, customer: number): Promise<{ status: number; ms: number }> {
    const startedAt = performance.now();
    const response = await fetch(`${this.runtime.apiUrl}${path}`, {
      method,
      headers: {
        ...this.headers(this.tokenFor(customer)),
        ...(method === 'POST' ? { 'idempotency-key': randomUUID() } : {}),
      },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - startedAt };
  }

  close(): void {
    this.unsubscribe();
  }
}

/** The raw DynamoDB Local round trip: GetItem of one product through the runtime's document client. */
export async function timeRawGetItems(runtime: LocalRuntime, count: number, productId: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    await runtime.documentClient.send(new GetCommand({ TableName: runtime.tableName, Key: keys.product(productId) }));
    samples.push(performance.now() - startedAt);
  }
  return samples;
}

/** Raw DynamoDB Local GetItem requests per second with `concurrency` callers, each waiting for its answer. */
export async function rawGetItemRate(
  runtime: LocalRuntime,
  concurrency: number,
  durationMs: number,
  productId: string,
): Promise<number> {
  let completed = 0;
  const deadline = performance.now() + durationMs;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await runtime.documentClient.send(
          new GetCommand({ TableName: runtime.tableName, Key: keys.product(productId) }),
        );
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - startedAt) / 1000);
}

/**
 * The fraud model's thresholds for a benchmark: the review band closed (review = the model's reject threshold), so an
 * order the model would hold for an admin's review is approved and the run measures orders that end. A driver's few
 * customers place orders far faster than shoppers do; rejections stay as they are.
 */
export function benchRiskThresholds(): { readonly review: number } {
  return { review: bundledRiskModel().thresholds.reject };
}
