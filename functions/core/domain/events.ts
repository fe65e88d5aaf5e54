import type { Actor, Order, OrderStatus } from './order';

export const eventSource = 'orders';
/**
 * The envelope's schema version. It changes only when a change would break a consumer (a field removed, renamed or
 * given another meaning); a new optional field keeps it, so consumers must ignore fields they do not know.
 * Version 1 gained the optional `correlationId`. Version 2 removed `paymentMethod` (and the saga's internal
 * `failure` and `attention`) from `data`: see `OrderEventData`. `order.confirmed` then gained the optional
 * `shippingAddress` and `contactEmail` (absent for orders placed before they existed), which kept version 2.
 */
export const eventSchemaVersion = 2;

/** Every order event type, in the order an order's life publishes them: webhooks subscribe to these. */
export const orderEventTypes = [
  'order.placed',
  'order.confirmed',
  'order.failed',
  'order.cancelled',
  'order.fulfilled',
  /** The provider reported a refund (a webhook's charge.refunded); it is the last entry of data's `providerRefunds`. */
  'order.payment-refunded',
  /** The provider reported a dispute (a webhook's charge.dispute.created); it is the last entry of data's `disputes`. */
  'order.payment-disputed',
  /** An admin refunded money after fulfilment; data adds the refund. */
  'order.refunded',
] as const;
export type OrderEventType = (typeof orderEventTypes)[number];

/**
 * Published by the demand forecast job (functions/core/use-cases/jobs/forecast-demand.ts), and by reconciliation
 * when it finds stock sold twice (after a regional failover: docs/regions.md).
 */
export const inventoryEventTypes = ['inventory.reorder-suggested', 'inventory.oversold'] as const;
export type InventoryEventType = (typeof inventoryEventTypes)[number];

/** Published by the webhook sender (functions/core/use-cases/webhooks/deliver.ts) to tell an endpoint's owner. */
export const webhookEventTypes = ['webhook.endpoint-disabled'] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export interface DomainEvent<TData = unknown> {
  /**
   * Deterministic (order id + event type; product id + event type + day for inventory events), so a replayed step
   * or job run publishes the same event and consumers can dedupe.
   */
  readonly id: string;
  readonly type: OrderEventType | InventoryEventType | WebhookEventType;
  readonly version: number;
  readonly occurredAt: string;
  /**
   * The id of the flow that produced the event (functions/core/observability/correlation-id.ts): the placing
   * request's for order.placed, order.confirmed and order.failed, the cancel or fulfil request's for order.cancelled
   * and order.fulfilled. Optional: events published before it existed have none.
   */
  readonly correlationId?: string;
  readonly data: TData;
}

/**
 * What an event tells about the order: what the API shows, without the saga's bookkeeping. The payment method token
 * stays out (events are archived and fan out to every consumer; only the saga needs it, to resume), and so do the
 * internal failure decision, the correlation id (in the envelope), the operator flag and the risk decision (for
 * support only: a consumer, or an archive, must not learn what the fraud model looks at).
 */
export type OrderEventData = Omit<
  Order,
  | 'paymentMethod'
  | 'failure'
  | 'correlationId'
  | 'attention'
  | 'paymentAction'
  | 'heldDecision'
  | 'risk'
  | 'reviewDeadline'
>;

/**
 * What `order.cancelled` adds to the order: who cancelled it (the owner, or an admin for support) and why, so that
 * consumers and the audit trail need not read the order's history. An optional field: the envelope version stays.
 */
export interface Cancellation {
  readonly actor: Actor;
  readonly reason: string;
}

/**
 * The events that carry the shipping address and contact email: what fulfilment acts on. The others leave that
 * personal data out, so fewer consumers and less of the archive hold it; a consumer that needs it on another event
 * reads the order.
 */
export const eventsWithShippingDetails: ReadonlySet<OrderEventType> = new Set(['order.confirmed']);

/** `correlationId` defaults to the one stored on the order (the placing request's). */
export function orderEvent(
  type: OrderEventType,
  order: Order,
  occurredAt: string,
  correlationId: string | undefined = order.correlationId,
  cancellation?: Cancellation,
): DomainEvent<OrderEventData & { cancellation?: Cancellation }> {
  // The payment action holds the customer's client secret (3-D Secure): it never leaves the order; nor does the
  // risk decision, nor the review it led to (for support only).
  /* eslint-disable @typescript-eslint/no-unused-vars */
  const {
    paymentMethod,
    failure,
    correlationId: stored,
    attention,
    risk,
    shippingAddress,
    contactEmail,
    paymentAction,
    heldDecision,
    reviewDeadline,
    ...rest
  } = order;
  /* eslint-enable @typescript-eslint/no-unused-vars */
  const data: OrderEventData = eventsWithShippingDetails.has(type)
    ? { ...rest, ...(shippingAddress ? { shippingAddress } : {}), ...(contactEmail ? { contactEmail } : {}) }
    : rest;
  return {
    id: `${order.orderId}:${type}`,
    type,
    version: eventSchemaVersion,
    occurredAt,
    ...(correlationId === undefined ? {} : { correlationId }),
    data: cancellation ? { ...data, cancellation } : data,
  };
}

/**
 * The event a status transition announces, written with the transition itself (the outbox: see docs/event-delivery.md).
 * The statuses in between (RESERVED, AUTHORIZED, ACTION_REQUIRED, REVIEW) are the saga's business and announce nothing.
 */
export const transitionEventTypes: Readonly<Partial<Record<OrderStatus, OrderEventType>>> = {
  CONFIRMED: 'order.confirmed',
  FAILED: 'order.failed',
  CANCELLED: 'order.cancelled',
  FULFILLED: 'order.fulfilled',
};

/**
 * The event of the transition that produced `next`, if its status announces one. A cancellation names who cancelled
 * and why (the transition's actor and reason); `correlationId` defaults to the order's own.
 */
export function transitionEvent(
  next: Order,
  changes: { readonly actor?: Actor; readonly reason?: string; readonly correlationId?: string },
): DomainEvent | undefined {
  const type = transitionEventTypes[next.status];
  if (!type) return undefined;
  const cancellation =
    type === 'order.cancelled' && changes.actor && changes.reason
      ? { actor: changes.actor, reason: changes.reason }
      : undefined;
  return orderEvent(type, next, next.updatedAt, changes.correlationId ?? next.correlationId, cancellation);
}

/** What `inventory.oversold` tells: which product, by how many units, as of which reconciliation. */
export interface OversoldStock {
  readonly productId: string;
  readonly units: number;
  readonly checkedAt: string;
}

/**
 * Reconciliation found units promised beyond the stock (held or sold): an operational event for the people who
 * restock or contact customers. One id per product and count: the hourly job announces a finding once, and again
 * only when the count changes.
 */
export function oversoldEvent(finding: OversoldStock): DomainEvent<OversoldStock> {
  return {
    id: `${finding.productId}:inventory.oversold:${finding.units}`,
    type: 'inventory.oversold',
    version: eventSchemaVersion,
    occurredAt: finding.checkedAt,
    data: finding,
  };
}
