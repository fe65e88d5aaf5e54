import type { OrderStore } from '../../domain/ports';
import { loadSagaOrder, refuseIfFailing } from './saga-order';

export async function confirmOrder(deps: { orders: OrderStore }, orderId: string, correlationId?: string) {
  const order = await loadSagaOrder(deps.orders, orderId);
  refuseIfFailing(order);
  // order.confirmed is written with the transition (the outbox): a replayed step moves nothing and announces nothing.
  const confirmed = await deps.orders.transition(order, 'CONFIRMED', {
    reason: 'saga completed',
    ...(correlationId ? { correlationId } : {}),
  });
  return { status: confirmed.status };
}
