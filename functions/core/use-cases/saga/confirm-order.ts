import { orderEvent } from '../../domain/events';
import type { EventPublisher, OrderStore } from '../../domain/ports';
import { loadSagaOrder, refuseIfFailing } from './saga-order';

export async function confirmOrder(
  deps: { orders: OrderStore; events: EventPublisher },
  orderId: string,
  correlationId?: string,
) {
  const order = await loadSagaOrder(deps.orders, orderId);
  refuseIfFailing(order);
  const confirmed = await deps.orders.transition(order, 'CONFIRMED', { reason: 'saga completed' });
  await deps.events.publish([orderEvent('order.confirmed', confirmed, confirmed.updatedAt, correlationId)]);
  return { status: confirmed.status };
}
