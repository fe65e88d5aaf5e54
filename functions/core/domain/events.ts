import type { Order } from './order';

export const eventSource = 'orders';
export const eventSchemaVersion = 1;

export type OrderEventType =
  'order.placed' | 'order.confirmed' | 'order.failed' | 'order.cancelled' | 'order.fulfilled';

export interface DomainEvent<TData = unknown> {
  /** Deterministic (order id + event type), so a replayed step publishes the same event and consumers can dedupe. */
  readonly id: string;
  readonly type: OrderEventType;
  readonly version: number;
  readonly occurredAt: string;
  readonly data: TData;
}

export function orderEvent(type: OrderEventType, order: Order, occurredAt: string): DomainEvent<Order> {
  return { id: `${order.orderId}:${type}`, type, version: eventSchemaVersion, occurredAt, data: order };
}
