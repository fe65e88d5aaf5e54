import * as z from 'zod/mini';
import { schema } from './schema';
import { actorKinds, failureReasons, orderStatuses } from '../domain/order';
import { maxStockShards, minStockShards } from '../domain/stock-shards';
import { identifier } from './identifier';
import { contactEmail, shippingAddress, shippingAddressResponse } from './shipping-schemas';

/**
 * The API contract. Request schemas are strict (unknown fields are rejected); response schemas document what the
 * API returns. Both runtimes and the generated API description read these.
 */

/** One DynamoDB transaction holds 100 actions; a reservation uses two per line plus two for the order. */
export const maxLinesPerOrder = 25;
export const maxQuantityPerLine = 100;

export { identifier };

export const money = /* @__PURE__ */ schema(() =>
  z.strictObject({
    amount: z.int().check(z.gte(0)),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  }),
);

export const placeOrderRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    items: z
      .array(
        z.strictObject({
          productId: identifier,
          quantity: z.int().check(z.gte(1), z.lte(maxQuantityPerLine)),
        }),
      )
      .check(z.minLength(1), z.maxLength(maxLinesPerOrder)),
    // A payment provider's token (`tok_…`, `pm_…`): a prefix, an underscore, then the id. Card data never comes
    // here, and the shape refuses it: a card number has no prefix.
    paymentToken: z.string().check(z.minLength(3), z.maxLength(128), z.regex(/^[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_-]+$/)),
    // Required: every order ships goods (see shipping-schemas.ts).
    shippingAddress,
    contactEmail,
  }),
);
export type PlaceOrderRequest = z.infer<typeof placeOrderRequest>;

/** Actions without parameters accept no body or an empty JSON object, nothing else. */
export const emptyBody = /* @__PURE__ */ schema(() => z.strictObject({}));

export const orderIdPath = /* @__PURE__ */ schema(() =>
  z.strictObject({
    orderId: identifier.check(z.describe('The order id, as returned when it was placed')),
  }),
);
export const productIdPath = /* @__PURE__ */ schema(() =>
  z.strictObject({ productId: identifier.check(z.describe('The product id')) }),
);

const pageLimit = /* @__PURE__ */ schema(() =>
  z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100), z.describe('Page size'))),
);
const cursor = /* @__PURE__ */ schema(() =>
  z.optional(z.string().check(z.minLength(1), z.maxLength(4096), z.describe('The `nextCursor` of the previous page'))),
);
const isoTimestamp = /* @__PURE__ */ schema(() => z.iso.datetime());

export const listOrdersQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: pageLimit,
    cursor,
    status: z.optional(z.enum(orderStatuses).check(z.describe('Only orders in this status'))),
  }),
);
/**
 * A customer id as orders carry it: a user's Cognito `sub` (a UUID), or `partner:<client id>` for a partner's
 * orders. Shaped like that, so nothing else reaches a key condition.
 */
const customerId = /* @__PURE__ */ schema(() =>
  z.string().check(z.minLength(1), z.maxLength(200), z.regex(/^(partner:)?[A-Za-z0-9_-]+$/)),
);

/** Either `status` or `customerId` (or both: that customer's orders in that status); the use case checks one is given. */
export const adminListOrdersQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    status: z.optional(z.enum(orderStatuses).check(z.describe('The status to list'))),
    customerId: z.optional(
      customerId.check(
        z.describe(
          "Whose orders to list: a user's `sub`, or `partner:<client id>` for a partner's orders. Give this or `status`",
        ),
      ),
    ),
    from: z.optional(isoTimestamp.check(z.describe('Placed at or after this time (UTC)'))),
    to: z.optional(isoTimestamp.check(z.describe('Placed at or before this time (UTC)'))),
    limit: pageLimit,
    cursor,
  }),
);

/** Why support cancels an order: recorded in its history and in the order.cancelled event, so it is required. */
export const adminCancelOrderRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(500)),
  }),
);
/**
 * A refund after fulfilment: the amount in the order currency's minor units (what is left to refund is checked against
 * the order: 409 above it), why (recorded in the history and the order.refunded event), and `restock` only when the
 * goods came back (those units go back on the shelf).
 */
export const refundOrderRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    amount: z.int().check(z.gte(1), z.lte(100_000_000_000)),
    reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(500)),
    restock: z.optional(
      z
        .array(z.strictObject({ productId: identifier, quantity: z.int().check(z.gte(1), z.lte(maxQuantityPerLine)) }))
        .check(z.minLength(1), z.maxLength(maxLinesPerOrder)),
    ),
  }),
);
export const listProductsQuery = /* @__PURE__ */ schema(() => z.strictObject({ limit: pageLimit, cursor }));

const productName = /* @__PURE__ */ schema(() => z.string().check(z.trim(), z.minLength(1), z.maxLength(200)));
const productDescription = /* @__PURE__ */ schema(() => z.string().check(z.maxLength(2000)));
const price = /* @__PURE__ */ schema(() =>
  z.strictObject({
    amount: z.int().check(z.gte(0), z.lte(100_000_000)),
    currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  }),
);

const stockShards = /* @__PURE__ */ schema(() =>
  z
    .int()
    .check(
      z.gte(minStockShards),
      z.lte(maxStockShards),
      z.describe(
        'Over how many shard items the available stock is split: 1 (the default) keeps it on the product; more lets ' +
          'that many reservations write at once (flash sales, see docs/access-patterns.md)',
      ),
    ),
);

export const createProductRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    productId: z.optional(identifier),
    name: productName,
    description: z.optional(productDescription),
    price,
    active: z.optional(z.boolean()),
    initialStock: z.int().check(z.gte(0), z.lte(1_000_000)),
    stockShards: z.optional(stockShards),
  }),
);
export type CreateProductRequest = z.infer<typeof createProductRequest>;

export const updateProductRequest = /* @__PURE__ */ schema(() =>
  z
    .strictObject({
      name: z.optional(productName),
      description: z.optional(productDescription),
      price: z.optional(price),
      active: z.optional(z.boolean()),
      stockShards: z.optional(stockShards),
    })
    .check(z.refine((changes) => Object.keys(changes).length > 0, 'name at least one field to change')),
);

export const adjustStockRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    delta: z.int().check(
      z.gte(-1_000_000),
      z.lte(1_000_000),
      z.refine((delta) => delta !== 0, 'delta must not be zero'),
    ),
    reason: z.string().check(z.trim(), z.minLength(3), z.maxLength(500)),
  }),
);

export const orderLine = /* @__PURE__ */ schema(() =>
  z.object({
    productId: z.string(),
    name: z.string(),
    quantity: z.int(),
    unitPrice: money,
    lineTotal: money,
  }),
);

const historyEntry = /* @__PURE__ */ schema(() =>
  z.object({ status: z.enum(orderStatuses), at: z.string(), reason: z.optional(z.string()) }),
);
export const orderHistoryResponse = /* @__PURE__ */ schema(() =>
  z.object({ orderId: z.string(), history: z.array(historyEntry) }),
);
/** Admins also see who made each requested change (the owner, or an admin for support). */
export const adminHistoryEntry = /* @__PURE__ */ schema(() =>
  z.extend(historyEntry, {
    actor: z.optional(z.object({ kind: z.enum(actorKinds), id: z.string() })),
  }),
);

export const orderResponse = /* @__PURE__ */ schema(() =>
  z.object({
    orderId: z.string(),
    status: z.enum(orderStatuses),
    items: z.array(orderLine),
    total: money,
    createdAt: z.string(),
    updatedAt: z.string(),
    failureReason: z.optional(z.enum(failureReasons)),
    // On one order's view, absent from lists (and from orders placed before they were asked for).
    shippingAddress: z.optional(shippingAddressResponse),
    contactEmail: z.optional(z.string()),
  }),
);

/**
 * What the client needs to finish the payment's authentication (ACTION_REQUIRED): the PaymentIntent's client secret
 * for Stripe.js (`stripe.handleNextAction({ clientSecret })`), then POST /orders/{orderId}/payment/confirm.
 */
export const paymentActionResponse = /* @__PURE__ */ schema(() =>
  z.object({
    type: z
      .literal('authenticate_payment')
      .check(z.describe('The customer must authenticate the payment (3-D Secure)')),
    provider: z.literal('stripe'),
    paymentIntentId: z.string(),
    clientSecret: z.string().check(z.describe("The PaymentIntent's client secret, for Stripe.js; never log it")),
    nextActionType: z.optional(z.string().check(z.describe("Stripe's next_action.type (use_stripe_sdk, ...)"))),
    expiresAt: z.string().check(z.describe('After this time the order fails with PAYMENT_AUTHENTICATION_EXPIRED')),
  }),
);

/** The owner's view of one order: while it is ACTION_REQUIRED, what the client needs to finish the payment. */
export const ownOrderResponse = /* @__PURE__ */ schema(() =>
  z.extend(orderResponse, { paymentAction: z.optional(paymentActionResponse) }),
);

export const productResponse = /* @__PURE__ */ schema(() =>
  z.object({
    productId: z.string(),
    name: z.string(),
    description: z.string(),
    price: money,
    available: z.int(),
    active: z.boolean(),
  }),
);

/** Admins also see how the product's stock is laid out. */
export const adminProductResponse = /* @__PURE__ */ schema(() => z.extend(productResponse, { stockShards: z.int() }));

/** A refund or dispute the payment provider reported by webhook (amounts in the provider's units). */
const paymentFact = /* @__PURE__ */ schema(() =>
  z.object({
    eventId: z.string(),
    objectId: z.string(),
    amount: z.optional(z.number()),
    currency: z.optional(z.string()),
    reason: z.optional(z.string()),
    at: z.string(),
  }),
);

const refundEntry = /* @__PURE__ */ schema(() =>
  z.object({
    refundId: z.string(),
    amount: z.int(),
    reason: z.string(),
    at: z.string(),
    actor: z.object({ kind: z.enum(actorKinds), id: z.string() }),
    restocked: z.optional(z.array(z.object({ productId: z.string(), quantity: z.int() }))),
  }),
);

/** Admins also see whose order it is, and the refunds made after fulfilment (minor units). */
export const adminOrderResponse = /* @__PURE__ */ schema(() =>
  z.extend(orderResponse, {
    customerId: z.string(),
    refundedAmount: z.optional(z.int()),
    refunds: z.optional(z.array(refundEntry)),
    providerRefunds: z.optional(z.array(paymentFact)),
    disputes: z.optional(z.array(paymentFact)),
  }),
);
/** The features that weighed most in a model's decision, strongest first. */
const topFeatures = /* @__PURE__ */ schema(() =>
  z.array(z.object({ feature: z.string(), value: z.number(), contribution: z.number() })),
);
/**
 * CheckRisk's decision as support reads it (docs/models.md): `review` held the order for an admin (REVIEW). `score`,
 * `modelVersion` and `topFeatures` when the fraud model decided; `reasons` when the static rules did.
 */
export const riskExplanation = /* @__PURE__ */ schema(() =>
  z.object({
    decision: z.enum(['approve', 'review', 'reject']),
    source: z.enum(['model', 'rules']),
    modelVersion: z.optional(z.string()),
    score: z.optional(z.number()),
    topFeatures: z.optional(topFeatures),
    reasons: z.optional(z.array(z.string())),
    at: z.string(),
  }),
);
/**
 * An order's risk review (REVIEW): until when it may wait, and once decided, who decided what, when, with which note,
 * on which model decision (version, score, the features that weighed most). Admins only.
 */
export const reviewExplanation = /* @__PURE__ */ schema(() =>
  z.object({
    deadline: z.optional(z.string()),
    decision: z.optional(
      z.object({
        decision: z.enum(['approve', 'reject']),
        by: z.string(),
        at: z.string(),
        note: z.optional(z.string()),
        modelVersion: z.optional(z.string()),
        score: z.optional(z.number()),
        topFeatures: z.optional(topFeatures),
      }),
    ),
  }),
);
/** The support view of one order: the order with whose it is, its risk decision and its whole history, oldest first. */
export const adminOrderDetailResponse = /* @__PURE__ */ schema(() =>
  z.extend(adminOrderResponse, {
    risk: z.optional(riskExplanation),
    review: z.optional(reviewExplanation),
    history: z.array(adminHistoryEntry),
  }),
);
/** An order in the review queue, or as a review decision left it: the admin's order with its risk and review. */
export const reviewResponse = /* @__PURE__ */ schema(() =>
  z.extend(adminOrderResponse, {
    risk: z.optional(riskExplanation),
    review: reviewExplanation,
  }),
);
export const reviewPageResponse = /* @__PURE__ */ schema(() =>
  z.object({ orders: z.array(reviewResponse), nextCursor: z.optional(z.string()) }),
);
export const reviewListQuery = /* @__PURE__ */ schema(() => z.strictObject({ limit: pageLimit, cursor }));
/** An admin's review decision: an optional note for colleagues and the audit trail (never shown to the customer). */
export const reviewDecisionRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    note: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(500))),
  }),
);
export const adminOrderPageResponse = /* @__PURE__ */ schema(() =>
  z.object({
    orders: z.array(adminOrderResponse),
    nextCursor: z.optional(z.string()),
  }),
);

export const productPageResponse = /* @__PURE__ */ schema(() =>
  z.object({ products: z.array(productResponse), nextCursor: z.optional(z.string()) }),
);
export const orderPageResponse = /* @__PURE__ */ schema(() =>
  z.object({ orders: z.array(orderResponse), nextCursor: z.optional(z.string()) }),
);
export const healthResponse = /* @__PURE__ */ schema(() => z.object({ status: z.literal('ok') }));
/** What a payment provider's webhook delivery is answered with (any 2xx stops the provider's redeliveries). */
export const webhookReceivedResponse = /* @__PURE__ */ schema(() =>
  z.object({
    received: z.literal(true),
    outcome: z.enum(['duplicate', 'ignored', 'no-order', 'recorded', 'reversed', 'continued']),
  }),
);
const dependencyCheck = /* @__PURE__ */ schema(() => z.enum(['ok', 'unavailable']));
export const readinessResponse = /* @__PURE__ */ schema(() =>
  z.object({
    status: z.literal('ready'),
    /**
     * Whether this region accepts writes (docs/regions.md). The failover hostname's health checks look for
     * `"role":"active"`, so traffic follows the promoted region and never returns to a recovered standby on its own.
     */
    role: z.enum(['active', 'standby']),
    region: z.string(),
    /** The role's epoch: bumped by every promotion. */
    epoch: z.int(),
    checks: z.object({ table: z.literal('ok'), workflow: z.literal('ok') }),
  }),
);

export const problemResponse = /* @__PURE__ */ schema(() =>
  z.object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    code: z.string(),
    detail: z.string(),
    requestId: z.string(),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
    /** Only on a 503 from the readiness check: each dependency by its logical name. */
    checks: z.optional(z.record(z.string(), dependencyCheck)),
  }),
);

/** The published API description: described loosely, since the OpenAPI specification defines its shape. */
export const openApiDocumentResponse = /* @__PURE__ */ schema(() =>
  z.looseObject({
    openapi: z.string(),
    info: z.looseObject({ title: z.string(), version: z.string() }),
    paths: z.record(z.string(), z.unknown()),
  }),
);

/** What admins see of a product's forecast (functions/core/use-cases/jobs/forecast-demand.ts). */
const reorderFigures = /* @__PURE__ */ schema(() =>
  z.object({
    available: z.int().check(z.describe('Stock on the shelf when the forecast was made')),
    leadTimeDays: z.int(),
    serviceLevel: z.number(),
    leadTimeDemand: z.number().check(z.describe('Forecast units sold during the lead time')),
    safetyStock: z.number(),
    reorderPoint: z.int().check(z.describe('Reorder when the stock is at or below this')),
    daysOfCover: z.nullable(z.number().check(z.describe('Days the stock lasts at the forecast; null beyond 28'))),
    belowReorderPoint: z.boolean(),
    suggestedQuantity: z.int().check(z.describe('Units to order now (0 when not below the reorder point)')),
  }),
);
export const forecastResponse = /* @__PURE__ */ schema(() =>
  z.object({
    productId: z.string(),
    name: z.string(),
    generatedAt: z.string(),
    method: z.enum(['holt-winters', 'seasonal-naive', 'mean']),
    historyDays: z.int(),
    coverage: z.number().check(z.describe('Central coverage of the intervals: 0.8 is the 10th to 90th percentile')),
    days: z.array(z.object({ date: z.string(), mean: z.number(), lower: z.number(), upper: z.number() })),
    inventory: reorderFigures,
  }),
);
export const reorderListQuery = /* @__PURE__ */ schema(() => z.strictObject({ limit: pageLimit, cursor }));
export const reorderPageResponse = /* @__PURE__ */ schema(() =>
  z.object({
    products: z.array(z.extend(reorderFigures, { productId: z.string(), name: z.string(), forecastAt: z.string() })),
    nextCursor: z.optional(z.string()),
  }),
);
