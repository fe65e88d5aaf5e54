import { CurrencyMismatchError, ProductUnavailableError, ValidationError } from './errors';
import { multiply, sum, type Money } from './money';
import type { Product } from './product';

export const orderStatuses = [
  'PENDING',
  'RESERVED',
  'AUTHORIZED',
  'CONFIRMED',
  'FULFILLED',
  'FAILED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof orderStatuses)[number];

export const failureReasons = [
  'OUT_OF_STOCK',
  'RISK_REJECTED',
  'PAYMENT_DECLINED',
  'PAYMENT_ERROR',
  'ORDER_STATE_CONFLICT',
  'RESERVATION_EXPIRED',
  'INTERNAL_ERROR',
] as const;
export type FailureReason = (typeof failureReasons)[number];

export const terminalStatuses: readonly OrderStatus[] = ['CONFIRMED', 'FULFILLED', 'FAILED', 'CANCELLED'];
/** The statuses an order passes through while its saga runs. */
export const inFlightStatuses: readonly OrderStatus[] = ['PENDING', 'RESERVED', 'AUTHORIZED'];

/**
 * Every status an order may move to, from each status. Stores make each transition conditional on the "from"
 * status, so two writers can never both win and a replayed step cannot move an order backwards.
 */
export const allowedTransitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['RESERVED', 'FAILED', 'CANCELLED'],
  RESERVED: ['AUTHORIZED', 'FAILED', 'CANCELLED'],
  AUTHORIZED: ['CONFIRMED', 'FAILED', 'CANCELLED'],
  CONFIRMED: ['FULFILLED', 'CANCELLED'],
  FULFILLED: [],
  FAILED: [],
  CANCELLED: [],
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
   * The CheckRisk step's decision, recorded once (docs/models.md, "CheckRisk"). Shown to admins only: never in the
   * customer's view of the order nor in events.
   */
  readonly risk?: RiskRecord;
}

/** What CheckRisk decided and why: enough for support to explain a decision and trace it to a model file. */
export interface RiskRecord {
  /**
   * `review` is approved for now and recorded as such (the interim until a review queue holds such orders):
   * docs/models.md, "Orders scored for review".
   */
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
