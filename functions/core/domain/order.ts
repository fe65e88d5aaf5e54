import type { PaymentFact } from './payment-webhook';
import { CurrencyMismatchError, OrderNotRefundableError, ProductUnavailableError, ValidationError } from './errors';
import { multiply, sum, type Money } from './money';
import type { Product } from './product';

export const orderStatuses = [
  'PENDING',
  'RESERVED',
  'AUTHORIZED',
  'ACTION_REQUIRED',
  'REVIEW',
  'CONFIRMED',
  'FULFILLED',
  'FAILED',
  'CANCELLED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

/** Statuses in which the order's stock was reserved (and, unless released by a refund's restock, stays taken). */
export const stockReservedStatuses: readonly OrderStatus[] = [
  'RESERVED',
  'AUTHORIZED',
  'ACTION_REQUIRED',
  'REVIEW',
  'CONFIRMED',
  'FULFILLED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
];

export const failureReasons = [
  'OUT_OF_STOCK',
  'RISK_REJECTED',
  'PAYMENT_DECLINED',
  'PAYMENT_ERROR',
  'ORDER_STATE_CONFLICT',
  'RESERVATION_EXPIRED',
  'PAYMENT_AUTHENTICATION_EXPIRED',
  'INTERNAL_ERROR',
] as const;
export type FailureReason = (typeof failureReasons)[number];

export const terminalStatuses: readonly OrderStatus[] = [
  'CONFIRMED',
  'FULFILLED',
  'FAILED',
  'CANCELLED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
];
/** The statuses an order passes through while its saga runs. */
export const inFlightStatuses: readonly OrderStatus[] = ['PENDING', 'RESERVED', 'AUTHORIZED'];
/**
 * Held statuses: the saga ended there and the order waits for someone outside the system with its stock reserved:
 * the customer finishing 3-D Secure (ACTION_REQUIRED), or an admin reviewing an order the fraud model scored for
 * review (REVIEW, its payment authorized). The continuation workflow takes it on once a decision was recorded
 * (`heldDecision`): continue (towards CONFIRMED) or abandon (compensate and fail with a reason).
 */
export const heldStatuses: readonly OrderStatus[] = ['ACTION_REQUIRED', 'REVIEW'];
/** Statuses whose failure can still be decided (see `OrderStore.markFailing`). */
export const failableStatuses: readonly OrderStatus[] = [...inFlightStatuses, ...heldStatuses];

/**
 * Every status an order may move to, from each status. Stores make each transition conditional on the "from"
 * status, so two writers can never both win and a replayed step cannot move an order backwards.
 */
export const allowedTransitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['RESERVED', 'FAILED', 'CANCELLED'],
  // ACTION_REQUIRED: the provider wants the customer to authenticate (3-D Secure) before it authorizes.
  // REVIEW: authorized, but the fraud model scored the order for an admin's review.
  RESERVED: ['AUTHORIZED', 'ACTION_REQUIRED', 'REVIEW', 'FAILED', 'CANCELLED'],
  AUTHORIZED: ['CONFIRMED', 'FAILED', 'CANCELLED'],
  // The continuation workflow moves it on once authentication succeeded (AUTHORIZED) or failed or expired (FAILED).
  ACTION_REQUIRED: ['AUTHORIZED', 'FAILED', 'CANCELLED'],
  // Approved (AUTHORIZED, then confirmed by the continuation), rejected or expired (FAILED RISK_REJECTED).
  REVIEW: ['AUTHORIZED', 'FAILED', 'CANCELLED'],
  CONFIRMED: ['FULFILLED', 'CANCELLED'],
  // Refunds come after fulfilment only (before it, a cancellation releases the authorization instead). A further
  // partial refund keeps PARTIALLY_REFUNDED: the store's write is conditional on the version, not only the status.
  FULFILLED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  FAILED: [],
  CANCELLED: [],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED'],
  REFUNDED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return allowedTransitions[from].includes(to);
}

/** The statuses from which `to` can be reached: the condition a conditional write uses. */
export function statusesLeadingTo(to: OrderStatus): OrderStatus[] {
  return orderStatuses.filter((from) => canTransition(from, to));
}

/**
 * Who changed an order on request: its owner (a customer, or a partner acting as its own customer) or an admin acting
 * for support. `id` is the authenticated principal (a Cognito `sub`, or a partner's client id), never a username.
 */
export const actorKinds = ['customer', 'partner', 'admin'] as const;
export interface Actor {
  readonly kind: (typeof actorKinds)[number];
  readonly id: string;
}

export interface OrderLine {
  readonly productId: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
}

/** Where an order's goods go, normalised at the edge (functions/core/schemas/shipping-schemas.ts). Personal data. */
export interface ShippingAddress {
  readonly name: string;
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly region?: string;
  readonly postalCode?: string;
  /** ISO 3166-1 alpha-2, upper case. */
  readonly country: string;
  /** E.164, for the carrier. */
  readonly phone?: string;
}

export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly items: readonly OrderLine[];
  readonly total: Money;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Incremented on every change: the basis of ETags and optimistic checks. */
  readonly version: number;
  readonly failureReason?: FailureReason;
  /**
   * Where to ship and whom to tell. Every order placed since they were asked for has both; orders stored before have
   * neither, so readers treat them as optional. Personal data: shown on one order's view and in `order.confirmed`,
   * never logged (functions/core/observability/redaction.ts).
   */
  readonly shippingAddress?: ShippingAddress;
  readonly contactEmail?: string;
  readonly paymentAuthorizationId?: string;
  /**
   * The provider's reference to the customer's payment method (a token such as `pm_card_visa`, never card data), kept so
   * a saga that died with its executor can be started again. Never shown in API responses.
   */
  readonly paymentMethod?: string;
  /**
   * The correlation id of the request that placed the order (functions/core/observability/correlation-id.ts): the
   * saga carries it, and a saga the recovery job starts again carries it too. Kept for operators, never shown in API
   * responses (the client got it back as the `x-correlation-id` header). Absent on orders placed before it existed.
   */
  readonly correlationId?: string;
  /**
   * The saga's decision to fail the order, written before any compensation runs. It is final: forward steps refuse
   * an order that carries it, so a saga resumed after a crash in the middle of compensating finishes the failure
   * instead of confirming an order whose stock or payment were already given back.
   */
  readonly failure?: { readonly reason: FailureReason; readonly at: string };
  /** Set when a compensation kept failing: the order waits for an operator (see the needs-attention runbook). */
  readonly attention?: { readonly reason: string; readonly at: string };
  /**
   * The epoch of the promotion that found this order in flight (docs/regions.md): the promoted region's recovery
   * resumes it at once, since its execution died with the old active region.
   */
  readonly inheritedEpoch?: number;
  /**
   * The CheckRisk step's decision, recorded once (docs/models.md, "CheckRisk"). Shown to admins only: never in the
   * customer's view of the order nor in events.
   */
  readonly risk?: RiskRecord;
  /**
   * What the customer must do before the provider authorizes (ACTION_REQUIRED): the PaymentIntent and its client
   * secret, which the client hands to Stripe.js to run the 3-D Secure challenge. Shown to the order's owner only
   * while the order is ACTION_REQUIRED; never logged (redaction.ts), never in events, never shown to admins.
   */
  readonly paymentAction?: PaymentAction;
  /**
   * The decision taken on a held order (see `heldStatuses`), written once by a conditional write: whoever writes it
   * first (the confirm route, the webhook, the expiry job) starts the continuation workflow; the others find it.
   */
  readonly heldDecision?: HeldDecision;
  /**
   * Until when an order scored for review may wait in REVIEW (ISO); after it the recovery job rejects it
   * (RISK_REJECTED). Set by AuthorizePayment when it parks the order.
   */
  readonly reviewDeadline?: string;
  /** Money given back after fulfilment, oldest first (absent until the first refund). */
  readonly refunds?: readonly Refund[];
  /** The sum of `refunds`' amounts, in the order's currency's minor units. */
  readonly refundedAmount?: number;
  /** Refunds the payment provider reported (webhooks), oldest first; amounts in the provider's units. */
  readonly providerRefunds?: readonly PaymentFact[];
  /** Disputes (chargebacks) the payment provider reported (webhooks), oldest first. */
  readonly disputes?: readonly PaymentFact[];
}

/** A customer action the payment provider asks for (3-D Secure), as the order keeps it. */
export interface PaymentAction {
  /** The provider's id of the payment awaiting the customer (a PaymentIntent `pi_…`). */
  readonly paymentIntentId: string;
  /** What the client needs to finish (Stripe's `client_secret`); dropped once the order moves on. */
  readonly clientSecret?: string;
  /** The provider's `next_action.type` (`use_stripe_sdk`, `redirect_to_url`), so the client knows what to run. */
  readonly nextActionType?: string;
  /** After this instant (ISO) the order fails with PAYMENT_AUTHENTICATION_EXPIRED. */
  readonly expiresAt: string;
}

/**
 * Continue a held order (towards CONFIRMED), or abandon it (compensate, then FAILED with `reason`). A review's
 * decision also keeps the admin's note and the risk decision it was taken on (`review`), so support can explain it.
 */
export type HeldDecision = (
  | { readonly decision: 'continue'; readonly at: string; readonly by: string }
  | { readonly decision: 'abandon'; readonly reason: FailureReason; readonly at: string; readonly by: string }
) & { readonly review?: ReviewRecord };

/** What a review decision keeps besides who and when: the note, and the model's decision as it stood. */
export interface ReviewRecord {
  readonly note?: string;
  readonly modelVersion?: string;
  readonly score?: number;
  readonly topFeatures?: RiskRecord['topFeatures'];
}

/** A refund after fulfilment, as the order keeps it. */
export interface Refund {
  /** The provider's id of the refund: a replayed request finds it on the order and records nothing twice. */
  readonly refundId: string;
  readonly amount: number;
  readonly reason: string;
  readonly at: string;
  readonly actor: Actor;
  /** The units that came back and were put on the shelf again (only when the goods were returned). */
  readonly restocked?: readonly RequestedLine[];
}

/** The statuses from which money can be refunded. */
export const refundableStatuses: readonly OrderStatus[] = ['FULFILLED', 'PARTIALLY_REFUNDED'];

/** What is left to refund on an order. */
export function refundableAmount(order: Order): number {
  return order.total.amount - (order.refundedAmount ?? 0);
}

/**
 * Checks a refund against the order and says where it takes it: 409 (OrderNotRefundableError) when the order is not
 * fulfilled, already fully refunded, or the amount exceeds what is left; restocked units never exceed what the order
 * sold minus what earlier refunds restocked.
 */
export function planRefund(
  order: Order,
  amount: number,
  restock: readonly RequestedLine[] = [],
): { readonly to: OrderStatus; readonly refundedAmount: number } {
  if (!refundableStatuses.includes(order.status)) {
    throw new OrderNotRefundableError(
      `order ${order.orderId} is ${order.status}; only FULFILLED or PARTIALLY_REFUNDED orders can be refunded`,
    );
  }
  if (!Number.isInteger(amount) || amount <= 0) throw new ValidationError('amount must be a positive integer');
  const left = refundableAmount(order);
  if (amount > left) {
    throw new OrderNotRefundableError(`amount ${amount} exceeds the ${left} left to refund on order ${order.orderId}`);
  }
  const restocked = new Map<string, number>();
  for (const refund of order.refunds ?? []) {
    for (const line of refund.restocked ?? []) {
      restocked.set(line.productId, (restocked.get(line.productId) ?? 0) + line.quantity);
    }
  }
  const requested = new Map<string, number>();
  for (const line of restock) requested.set(line.productId, (requested.get(line.productId) ?? 0) + line.quantity);
  for (const [productId, quantity] of requested) {
    const sold = order.items.find((item) => item.productId === productId)?.quantity;
    if (sold === undefined) throw new ValidationError(`restock: product ${productId} is not on the order`);
    const already = restocked.get(productId) ?? 0;
    if (quantity > sold - already) {
      throw new OrderNotRefundableError(
        `restock of ${quantity} × ${productId} exceeds the ${sold - already} unit(s) sold and not yet restocked`,
      );
    }
  }
  const refundedAmount = (order.refundedAmount ?? 0) + amount;
  return { to: refundedAmount === order.total.amount ? 'REFUNDED' : 'PARTIALLY_REFUNDED', refundedAmount };
}

/** What CheckRisk decided and why: enough for support to explain a decision and trace it to a model file. */
export interface RiskRecord {
  /** `review`: the order waits in REVIEW, once authorized, for an admin (docs/models.md, "Review queue"). */
  readonly decision: 'approve' | 'review' | 'reject';
  /** `model`: the fraud model decided; `rules`: the static limits (no model loaded, a partner, or a limit exceeded). */
  readonly source: 'model' | 'rules';
  readonly modelVersion?: string;
  /** The model's probability of fraud, rounded to four decimals. */
  readonly score?: number;
  /** The features that raised the score the most, strongest first. */
  readonly topFeatures?: readonly { readonly feature: string; readonly value: number; readonly contribution: number }[];
  /** The rules that fired (source `rules`). */
  readonly reasons?: readonly string[];
  readonly at: string;
}

export interface RequestedLine {
  readonly productId: string;
  readonly quantity: number;
}

/**
 * Prices an order from the catalog. Client-side prices are never trusted: unit prices come from the products, the
 * total is computed here. Duplicate lines for the same product are merged so stock is reserved once per product.
 */
export function priceOrder(
  requested: readonly RequestedLine[],
  catalog: ReadonlyMap<string, Product>,
): { items: OrderLine[]; total: Money } {
  if (requested.length === 0) throw new ValidationError('an order needs at least one item');
  const quantities = new Map<string, number>();
  for (const line of requested) quantities.set(line.productId, (quantities.get(line.productId) ?? 0) + line.quantity);

  const items: OrderLine[] = [];
  for (const [productId, quantity] of quantities) {
    const product = catalog.get(productId);
    if (!product || !product.active) throw new ProductUnavailableError(`product ${productId} is not available`);
    items.push({
      productId,
      name: product.name,
      quantity,
      unitPrice: product.price,
      lineTotal: multiply(product.price, quantity),
    });
  }
  const currency = items[0]!.unitPrice.currency;
  if (items.some((item) => item.unitPrice.currency !== currency)) {
    throw new CurrencyMismatchError('all items of an order must be priced in the same currency');
  }
  return {
    items,
    total: sum(
      items.map((item) => item.lineTotal),
      currency,
    ),
  };
}
