import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryPartitionPrefix } from '../../functions/core/adapters/dynamodb/pagination';
import { batchGetAll } from '../../functions/core/adapters/dynamodb/batch-operations';
import { keys } from '../../functions/core/data/table-design';
import { terminalStatuses } from '../../functions/core/domain/order';
import type { TestSystem } from './local-system';
import { orderRequest } from './fixtures';

/**
 * Shared pieces of the reliability tests (test/integration/reliability): a seeded generator so every randomized run
 * can be repeated from the seed it logs, a bounded worker pool, and reads of order and product items straight from
 * the table (strongly consistent), which cost far less than polling a thousand orders through the API.
 */

/** The seed of a run: RELIABILITY_SEED when set (to repeat a run), otherwise fresh. */
export function runSeed(): number {
  const fixed = process.env.RELIABILITY_SEED;
  if (fixed !== undefined && fixed !== '') {
    const seed = Number(fixed);
    if (!Number.isInteger(seed)) throw new Error(`RELIABILITY_SEED must be an integer, got ${fixed}`);
    return seed;
  }
  return Date.now() % 2_147_483_647;
}

export interface Random {
  /** A float in [0, 1). */
  (): number;
  /** An integer in [0, below). */
  int(below: number): number;
  /** An integer in [low, high]. */
  between(low: number, high: number): number;
  /** A new array with the values in random order (Fisher–Yates). */
  shuffle<T>(values: readonly T[]): T[];
}

/** mulberry32: small, fast and well distributed; the same seed gives the same sequence on every run. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }) as Random;
  next.int = (below) => Math.floor(next() * below);
  next.between = (low, high) => low + next.int(high - low + 1);
  next.shuffle = <T>(values: readonly T[]) => {
    const copy = [...values];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = next.int(index + 1);
      [copy[index], copy[other]] = [copy[other]!, copy[index]!];
    }
    return copy;
  };
  return next;
}

/**
 * Assigns `count` orders to customers at random, at most `perCustomer` each, so that the risk rule "at most N orders
 * per customer per hour" never fires. Returns one customer index per order.
 */
export function spreadOverCustomers(random: Random, count: number, customers: number, perCustomer: number): number[] {
  if (customers * perCustomer < count) throw new Error(`${customers} x ${perCustomer} cannot take ${count} orders`);
  const load = new Array<number>(customers).fill(0);
  return Array.from({ length: count }, () => {
    let customer = random.int(customers);
    // Linear probing from a random start: bounded by `customers` steps, since some customer has room.
    for (let step = 0; step < customers && load[customer]! >= perCustomer; step++)
      customer = (customer + 1) % customers;
    load[customer]!++;
    return customer;
  });
}

/** Runs `work` over `items` with at most `concurrency` at once; results in input order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Whether a well-behaved client repeats a request (with the same Idempotency-Key): a 5xx (API Gateway answers 502 when
 * the integration times out, which an overloaded machine makes happen), a 429, or a 409 that says the first request
 * with this key is still running.
 */
export function worthRetrying(result: { status: number; body: Record<string, unknown> }): boolean {
  return result.status >= 500 || result.status === 429 || result.body.code === 'IDEMPOTENCY_KEY_IN_USE';
}

/**
 * Sends a request until its answer is not worth retrying (see `worthRetrying`), with a growing pause; bounded by
 * `attempts`. A request that throws (connection refused or reset) is retried too, unless `giveUp` says to stop.
 * The caller must send an Idempotency-Key, so that repeating is safe.
 */
export async function withRetries<T extends { status: number; body: Record<string, unknown> }>(
  request: () => Promise<T>,
  { attempts = 8, giveUp = () => false }: { attempts?: number; giveUp?: () => boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await request();
      if (!worthRetrying(result) || attempt >= attempts || giveUp()) return result;
    } catch (error) {
      if (attempt >= attempts || giveUp()) throw error;
    }
    await sleep(Math.min(2000, 100 * 2 ** (attempt - 1)));
  }
}

/** One order of a flash sale: which customer (an index into the tokens) wants how many units. */
export interface SaleRequest {
  readonly index: number;
  readonly customer: number;
  readonly quantity: number;
}

/**
 * Places every request at once for one product through the API, as a well-behaved client would: with an
 * Idempotency-Key, and the same request again when the answer says to (see `withRetries`). Each request comes back
 * with the status and order id of its last answer, in input order.
 */
export async function placeConcurrently<R extends SaleRequest>(
  system: TestSystem,
  requests: readonly R[],
  sale: { productId: string; tokens: readonly string[]; idempotencyKey: (index: number) => string },
): Promise<(R & { status: number; orderId: string })[]> {
  return Promise.all(
    requests.map(async (request) => {
      const answer = await withRetries(() =>
        system.call('POST', '/orders', {
          token: sale.tokens[request.customer]!,
          body: orderRequest({
            items: [{ productId: sale.productId, quantity: request.quantity }],
            paymentToken: 'pm_card_visa',
          }),
          headers: { 'idempotency-key': sale.idempotencyKey(request.index) },
        }),
      );
      return { ...request, status: answer.status, orderId: answer.body.orderId as string };
    }),
  );
}

/**
 * Samples a stock level every 20 ms while orders race for it, keeping the lowest value seen (which must never be below
 * zero); `stop` ends the sampling and gives the lowest value and how many samples it was taken from.
 */
export function watchLowest(initial: number, read: () => Promise<number>) {
  let lowest = initial;
  let samples = 0;
  let sampling = true;
  const sampler = (async () => {
    for (let round = 0; sampling && round < 100_000; round++) {
      lowest = Math.min(lowest, await read());
      samples++;
      await sleep(20);
    }
  })();
  return {
    async stop(): Promise<{ lowest: number; samples: number }> {
      sampling = false;
      await sampler;
      return { lowest, samples };
    },
  };
}

export interface StoredOrder {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: string;
  readonly failureReason?: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
  readonly total: { readonly amount: number; readonly currency: string };
  readonly paymentAuthorizationId?: string;
  readonly attention?: { readonly reason: string; readonly at: string };
}

/** The order items of these ids, read in batches of 100 with strongly consistent reads; missing ids are absent. */
export async function readOrders(
  client: DynamoDBDocumentClient,
  tableName: string,
  orderIds: readonly string[],
): Promise<Map<string, StoredOrder>> {
  const items = await batchGetAll(
    client,
    tableName,
    orderIds.map((id) => keys.order(id)),
    true,
    // Under a thousand concurrent orders UnprocessedKeys are common: read them again, patiently.
    { attempts: 20, initialDelayMs: 50, maxDelayMs: 1000 },
  );
  const found = new Map<string, StoredOrder>();
  for (const item of items) found.set(item.orderId as string, item as unknown as StoredOrder);
  return found;
}

const terminal: ReadonlySet<string> = new Set(terminalStatuses);

export const isTerminal = (order: StoredOrder | undefined) => order !== undefined && terminal.has(order.status);

/**
 * Polls the table until every order is terminal (or flagged for an operator, who owns it then), failing with the
 * stragglers' statuses after the deadline.
 */
export async function waitUntilSettled(
  client: DynamoDBDocumentClient,
  tableName: string,
  orderIds: readonly string[],
  timeoutMs: number,
  describe: (order: StoredOrder | undefined, orderId: string) => string = (order, orderId) =>
    `${orderId}=${order?.status ?? 'missing'}`,
): Promise<Map<string, StoredOrder>> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    const orders = await readOrders(client, tableName, orderIds);
    const open = orderIds.filter((id) => {
      const order = orders.get(id);
      return !isTerminal(order) && order?.attention === undefined;
    });
    if (open.length === 0) return orders;
    if (Date.now() >= deadline || round >= 10_000) {
      throw new Error(
        `${open.length} order(s) not settled within ${timeoutMs} ms: ` +
          open
            .slice(0, 20)
            .map((id) => describe(orders.get(id), id))
            .join('; '),
      );
    }
    await sleep(250);
  }
}

export interface StoredProduct {
  readonly productId: string;
  readonly available: number;
  readonly sold: number;
}

export async function readProduct(
  client: DynamoDBDocumentClient,
  tableName: string,
  productId: string,
): Promise<StoredProduct> {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: keys.product(productId), ConsistentRead: true }),
  );
  if (!Item) throw new Error(`no product ${productId}`);
  return { productId, available: Item.available as number, sold: (Item.sold as number | undefined) ?? 0 };
}

/** The stock holds an order keeps (one per product it reserved), read with a strongly consistent query. */
export async function readHolds(
  client: DynamoDBDocumentClient,
  tableName: string,
  orderId: string,
): Promise<{ productId: string; quantity: number }[]> {
  const items = await queryPartitionPrefix(client, tableName, keys.order(orderId).PK, keys.holdPrefix);
  return items as { productId: string; quantity: number }[];
}

/** `status` or `FAILED:<reason>` per order, counted. */
export function outcomes(orders: Iterable<StoredOrder>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const order of orders) {
    const outcome = order.status === 'FAILED' ? `FAILED:${order.failureReason ?? '?'}` : order.status;
    const key = order.attention ? `${outcome}+ATTENTION` : outcome;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** A local token for a customer (or any user) from the gateway's dev issuer. */
export async function localToken(apiUrl: string, username: string, groups: string[] = ['customers']): Promise<string> {
  const response = await fetch(`${apiUrl}/local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, groups }),
  });
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
  return ((await response.json()) as { accessToken: string }).accessToken;
}
