import { createHash } from 'node:crypto';
import { monotonicUlids } from '../../ulids';
import type { FeatureFlags, Flags } from '../../config/feature-flags';
import { OrdersPausedError, TooManyItemsError } from '../../domain/errors';
import { priceOrder, type Order } from '../../domain/order';
import type { CatalogStore, OrderStore, WorkflowStarter } from '../../domain/ports';
import { newCorrelationId } from '../../observability/correlation-id';
import type { PlaceOrderRequest } from '../../schemas/api-schemas';

export interface PlaceOrderDependencies {
  readonly catalog: CatalogStore;
  readonly orders: OrderStore;
  readonly workflow: WorkflowStarter;
  /**
   * Told when the saga of a stored order could not be started. The order is answered anyway: the recovery job starts
   * the saga of an order left PENDING (functions/core/use-cases/jobs/recover-orders.ts).
   */
  readonly sagaNotStarted?: (orderId: string, error: unknown) => void;
  /** The acceptingOrders and maxItemsPerOrder flags; without it, neither applies. */
  readonly flags?: FeatureFlags;
  readonly now?: () => Date;
  readonly newOrderId?: () => string;
}

const newUlid = monotonicUlids();

/**
 * Prices the order from the catalog, stores it PENDING (with its order.placed event: the outbox) and starts the saga.
 * Once the order is stored the answer is the order, never an error: a client that saw a 500 would retry, and without
 * an Idempotency-Key that retry places a second order. A saga that did not start is started by the recovery job. The payment token travels only in the
 * saga's input: it is a provider reference, never stored with the order. The request's correlation id is stored with
 * the order and travels in the saga's input (every state passes it on), so the whole flow logs under it.
 */
export async function placeOrder(
  deps: PlaceOrderDependencies,
  customerId: string,
  request: PlaceOrderRequest,
  idempotencyKey?: string,
  correlationId: string = newCorrelationId(),
): Promise<Order> {
  // Before any read or write: a paused intake sheds the load, a refused order leaves nothing behind.
  if (deps.flags) checkOrderIntake(await deps.flags.get(), request);
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const catalog = await deps.catalog.getMany(request.items.map((item) => item.productId));
  const { items, total } = priceOrder(request.items, catalog);
  const orderId = idempotencyKey
    ? orderIdFor(customerId, idempotencyKey)
    : (deps.newOrderId ?? (() => `ord_${newUlid()}`))();
  const order: Order = {
    orderId,
    customerId,
    status: 'PENDING',
    items,
    total,
    createdAt: now,
    updatedAt: now,
    version: 1,
    shippingAddress: request.shippingAddress,
    contactEmail: request.contactEmail,
    paymentMethod: request.paymentToken,
    correlationId,
  };
  // The write is conditional on the id being new, so a key seen before costs no read up front: only the write
  // that finds its order already stored reads it.
  if (await deps.orders.create(order)) {
    await startSaga(deps, order.orderId, correlationId);
    return order;
  }
  const existing = idempotencyKey ? await deps.orders.get(orderId) : undefined;
  if (!existing) throw new Error(`order ${orderId} was neither created nor found`);
  // The same key came back after its stored response expired: answer with the order it created. If that attempt
  // died before starting the saga, start it now (every step is idempotent, so a duplicate is harmless).
  if (existing.status === 'PENDING') await startSaga(deps, orderId, existing.correlationId ?? correlationId);
  return existing;
}

/** Ids only: AuthorizePayment reads the payment method from the stored order (see saga-schemas.ts). */
async function startSaga(deps: PlaceOrderDependencies, orderId: string, correlationId: string): Promise<void> {
  try {
    await deps.workflow.start(orderId, { orderId, correlationId });
  } catch (error) {
    deps.sagaNotStarted?.(orderId, error);
  }
}

/**
 * The rules operators switch at runtime: order intake can be paused (acceptingOrders off) and the units per order
 * capped below the API's own limit (maxItemsPerOrder counts units, the sum of the lines' quantities, since the
 * number of lines already has a fixed technical cap).
 */
export function checkOrderIntake(flags: Flags, request: PlaceOrderRequest): void {
  if (!flags.acceptingOrders.enabled) {
    throw new OrdersPausedError(
      'orders are not being accepted right now; retry later',
      flags.acceptingOrders.retryAfterSeconds,
    );
  }
  const units = request.items.reduce((sum, item) => sum + item.quantity, 0);
  if (flags.maxItemsPerOrder.enabled && units > flags.maxItemsPerOrder.limit) {
    throw new TooManyItemsError(
      `the order holds ${units} items; at most ${flags.maxItemsPerOrder.limit} are allowed per order`,
    );
  }
}

/**
 * The order id for an Idempotency-Key: deterministic per customer and key, so the key alone decides the saga's
 * execution name, the payment provider's idempotency key and the events' ids, end to end.
 */
export function orderIdFor(customerId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${customerId}\n${idempotencyKey}`).digest();
  return `ord_${encodeBase32(digest).slice(0, 26)}`;
}

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function encodeBase32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let output = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += crockford[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return output;
}
