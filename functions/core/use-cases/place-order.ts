import { monotonicFactory } from 'ulid';
import { orderEvent } from '../domain/events';
import { priceOrder, type Order } from '../domain/order';
import type { CatalogStore, EventPublisher, OrderStore, WorkflowStarter } from '../domain/ports';
import type { PlaceOrderRequest } from '../schemas/api-schemas';

export interface PlaceOrderDependencies {
  readonly catalog: CatalogStore;
  readonly orders: OrderStore;
  readonly workflow: WorkflowStarter;
  readonly events: EventPublisher;
  readonly now?: () => Date;
  readonly newOrderId?: () => string;
}

const newUlid = monotonicFactory();

/**
 * Prices the order from the catalog, stores it PENDING and starts the saga. The payment token travels only in the
 * saga's input: it is a provider reference, never stored with the order.
 */
export async function placeOrder(
  deps: PlaceOrderDependencies,
  customerId: string,
  request: PlaceOrderRequest,
): Promise<Order> {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const catalog = await deps.catalog.getMany(request.items.map((item) => item.productId));
  const { items, total } = priceOrder(request.items, catalog);
  const order: Order = {
    orderId: (deps.newOrderId ?? (() => `ord_${newUlid()}`))(),
    customerId,
    status: 'PENDING',
    items,
    total,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  await deps.orders.create(order);
  try {
    await deps.workflow.start(order.orderId, { orderId: order.orderId, paymentToken: request.paymentToken });
  } catch (error) {
    // Without a saga nothing would ever move this order: fail it now rather than leave it PENDING forever.
    await deps.orders.transition(order, 'FAILED', { failureReason: 'INTERNAL_ERROR', reason: 'saga did not start' });
    throw error;
  }
  await deps.events.publish([orderEvent('order.placed', order, now)]);
  return order;
}
