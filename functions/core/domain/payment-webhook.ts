/**
 * What a payment provider's webhook event means for an order, decided from the event alone (no I/O), so the mapping
 * is unit-tested and the use case only carries it out. The fields are the provider-neutral subset the backend keeps:
 * ids and amounts, never card data.
 */
export interface ProviderEvent {
  /** The provider's event id (Stripe `evt_…`): the deduplication key. */
  readonly id: string;
  readonly type: string;
  /** When the provider created the event (ISO time). */
  readonly createdAt: string;
  /** The PaymentIntent the event is about (directly, or through its charge or dispute). */
  readonly paymentIntentId?: string;
  /** Our order id, when the object carries it in `metadata.orderId` (PaymentIntents do; disputes do not). */
  readonly orderId?: string;
  /** The object's own id (charge `ch_…`, dispute `dp_…`). */
  readonly objectId: string;
  /** Refunded amount (charge.refunded) or disputed amount (charge.dispute.created), in the provider's units. */
  readonly amount?: number;
  readonly currency?: string;
  /** The dispute's reason (fraudulent, product_not_received, …). */
  readonly reason?: string;
}

/** A fact kept on the order: a refund or a dispute the provider reported. */
export interface PaymentFact {
  readonly eventId: string;
  readonly objectId: string;
  readonly amount?: number;
  readonly currency?: string;
  readonly reason?: string;
  readonly at: string;
}

export type WebhookAction =
  /** The authorization's outcome is known now: release it if the order no longer wants it, else note it. */
  | { readonly kind: 'settle-authorization'; readonly outcome: 'authorized' | 'captured' | 'failed' | 'canceled' }
  | { readonly kind: 'record-refund' }
  | { readonly kind: 'record-dispute' }
  /** An event type the backend does not act on: acknowledged (2xx) so the provider stops sending it. */
  | { readonly kind: 'ignore' };

const intentOutcomes: Record<string, 'authorized' | 'captured' | 'failed' | 'canceled'> = {
  'payment_intent.amount_capturable_updated': 'authorized',
  'payment_intent.succeeded': 'captured',
  'payment_intent.payment_failed': 'failed',
  'payment_intent.canceled': 'canceled',
};

export function webhookAction(event: Pick<ProviderEvent, 'type'>): WebhookAction {
  const outcome = intentOutcomes[event.type];
  if (outcome) return { kind: 'settle-authorization', outcome };
  if (event.type === 'charge.refunded') return { kind: 'record-refund' };
  if (event.type === 'charge.dispute.created') return { kind: 'record-dispute' };
  return { kind: 'ignore' };
}

/** Whether the provider may still hold (or have taken) the customer's money for this outcome. */
export function holdsMoney(outcome: 'authorized' | 'captured' | 'failed' | 'canceled'): boolean {
  return outcome === 'authorized' || outcome === 'captured';
}

/** The Stripe event (as `constructEvent` returns it, after the signature was checked) in the backend's terms. */
export function fromStripeEvent(event: {
  readonly id: string;
  readonly type: string;
  readonly created: number;
  readonly data: { readonly object: unknown };
}): ProviderEvent {
  const object = (event.data.object ?? {}) as Record<string, unknown>;
  const metadata = (object.metadata ?? {}) as Record<string, unknown>;
  const idOf = (value: unknown): string | undefined =>
    typeof value === 'string'
      ? value
      : typeof (value as { id?: unknown })?.id === 'string'
        ? (value as { id: string }).id
        : undefined;
  const objectId = idOf(object.id) ?? '';
  const paymentIntentId = object.object === 'payment_intent' ? objectId : idOf(object.payment_intent);
  const orderId = typeof metadata.orderId === 'string' ? metadata.orderId : undefined;
  const amount =
    event.type === 'charge.refunded'
      ? object.amount_refunded
      : event.type === 'charge.dispute.created'
        ? object.amount
        : undefined;
  return {
    id: event.id,
    type: event.type,
    createdAt: new Date(event.created * 1000).toISOString(),
    objectId,
    ...(paymentIntentId ? { paymentIntentId } : {}),
    ...(orderId ? { orderId } : {}),
    ...(typeof amount === 'number' ? { amount } : {}),
    ...(typeof object.currency === 'string' ? { currency: object.currency } : {}),
    ...(typeof object.reason === 'string' ? { reason: object.reason } : {}),
  };
}
