import * as z from 'zod/mini';
import {
  eventSchemaVersion,
  inventoryEventTypes,
  orderEventTypes,
  webhookEventTypes,
  type InventoryEventType,
  type OrderEventType,
  type WebhookEventType,
} from '../domain/events';
import { actorKinds, failureReasons, orderStatuses } from '../domain/order';
import { shippingAddressResponse } from './shipping-schemas';

/**
 * The event catalogue: one zod schema per event type (envelope and data) matching what functions/core/domain/events.ts
 * and the use cases publish. docs/events.md (`npm run docs:events`) and the OpenAPI document's `webhooks` section are
 * generated from these. Objects are open (`z.object`): consumers must ignore fields they do not know, since a new
 * optional field keeps the envelope's version. What the domain deliberately leaves out of events (the payment method,
 * the risk decision, the payment action, the saga's bookkeeping) has no place here: test/unit/event-schemas.test.ts
 * checks both that real events validate and that those fields stay out.
 */

const time = z.iso.datetime({ offset: true });
const money = z.object({
  amount: z.int().check(z.describe('Integer minor units (cents for EUR)')),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/), z.describe('ISO 4217 currency code')),
});
const actor = z.object({
  kind: z.enum(actorKinds),
  id: z.string().check(z.describe("The authenticated principal: a Cognito `sub`, or a partner's client id")),
});

const orderLine = z.object({
  productId: z.string(),
  name: z.string(),
  quantity: z.int(),
  unitPrice: money,
  lineTotal: money,
});

/** A refund or dispute the payment provider reported (amounts in the provider's units). */
const paymentFact = z.object({
  eventId: z.string().check(z.describe("The provider's event id")),
  objectId: z.string().check(z.describe("The provider's refund, charge or dispute id")),
  amount: z.optional(z.int()),
  currency: z.optional(z.string()),
  reason: z.optional(z.string()),
  at: time,
});

const orderRefund = z.object({
  refundId: z.string(),
  amount: z.int(),
  reason: z.string(),
  at: time,
  actor,
  restocked: z.optional(z.array(z.object({ productId: z.string(), quantity: z.int() }))),
});

/** What every order event tells about the order (`OrderEventData`: the order without the saga's bookkeeping). */
const orderData = z.object({
  orderId: z.string(),
  customerId: z.string().check(z.describe("The owner: a customer's Cognito `sub`, or `partner:<partnerId>`")),
  status: z.enum(orderStatuses),
  items: z.array(orderLine),
  total: money,
  createdAt: time,
  updatedAt: time,
  version: z.int().check(z.describe('Incremented on every change of the order')),
  failureReason: z.optional(z.enum(failureReasons)),
  paymentAuthorizationId: z.optional(z.string()),
  refunds: z.optional(z.array(orderRefund)),
  refundedAmount: z.optional(z.int()),
  providerRefunds: z.optional(z.array(paymentFact)),
  disputes: z.optional(z.array(paymentFact)),
});

/** Personal data, in `order.confirmed` only (absent for orders placed before it was asked for). */
const shippingDetails = {
  // The address as the API shows it back (normalised on the way in).
  shippingAddress: z.optional(shippingAddressResponse),
  contactEmail: z.optional(z.string()),
};

const cancellation = z.object({ actor, reason: z.string() });

const refund = z.object({
  refundId: z.string().check(z.describe("The provider's refund id")),
  amount: z.int(),
  refundedAmount: z.int().check(z.describe('All refunds of the order so far, this one included')),
  restocked: z.boolean().check(z.describe('Whether returned units were put back on the shelf')),
  reason: z.string(),
  actor,
});

const reorderSuggestion = z.object({
  productId: z.string(),
  name: z.string(),
  available: z.int().check(z.describe('Stock on the shelf when the forecast was made')),
  reorderPoint: z.number(),
  daysOfCover: z.nullable(z.number()).check(z.describe('null when the stock outlasts the forecast horizon')),
  suggestedQuantity: z.int(),
  leadTimeDays: z.int(),
  forecastAt: time,
});

const oversoldStock = z.object({
  productId: z.string(),
  units: z.int().check(z.describe('Units held or sold beyond every unit ever stocked')),
  checkedAt: time,
});

const endpointDisabled = z.object({
  webhookId: z.string(),
  ownerId: z.string().check(z.describe('`partner:<partnerId>`, or `admins` for the admins’ shared endpoints')),
  url: z.string().check(z.describe('Where the endpoint pointed (never its secret)')),
  failingSince: time,
  disabledAt: time,
});

function envelope<const Type extends string, Data extends z.ZodMiniType>(type: Type, data: Data) {
  return z.object({
    id: z.string().check(z.describe('Deterministic: a redelivered or replayed event keeps it; dedupe on it')),
    type: z.literal(type),
    version: z.literal(eventSchemaVersion),
    occurredAt: time,
    correlationId: z.optional(z.string()),
    data,
  });
}

/** What each event type is for: when it is published and how its id is built. */
export interface CatalogueEntry {
  readonly schema: z.ZodMiniType;
  readonly publishedWhen: string;
  readonly idShape: string;
}

const orderId = (type: string) => `\`<orderId>:${type}\``;

export const eventCatalogue: Readonly<Record<OrderEventType | InventoryEventType | WebhookEventType, CatalogueEntry>> =
  {
    'order.placed': {
      schema: envelope('order.placed', orderData),
      publishedWhen: 'An order was accepted (PENDING) and its saga started.',
      idShape: orderId('order.placed'),
    },
    'order.confirmed': {
      schema: envelope('order.confirmed', z.extend(orderData, shippingDetails)),
      publishedWhen:
        'The saga reserved the stock and the payment was authorized (CONFIRMED). The only event that carries the ' +
        'shipping address and contact email: what fulfilment acts on.',
      idShape: orderId('order.confirmed'),
    },
    'order.failed': {
      schema: envelope('order.failed', orderData),
      publishedWhen: 'The saga gave up and compensated (FAILED); `failureReason` says why.',
      idShape: orderId('order.failed'),
    },
    'order.cancelled': {
      schema: envelope('order.cancelled', z.extend(orderData, { cancellation: z.optional(cancellation) })),
      publishedWhen: 'The owner or an admin cancelled the order (CANCELLED); `cancellation` says who and why.',
      idShape: orderId('order.cancelled'),
    },
    'order.fulfilled': {
      schema: envelope('order.fulfilled', orderData),
      publishedWhen: 'An admin fulfilled the order: payment captured, stock committed (FULFILLED).',
      idShape: orderId('order.fulfilled'),
    },
    'order.payment-refunded': {
      schema: envelope('order.payment-refunded', orderData),
      publishedWhen:
        'The payment provider reported a refund made outside this API (a webhook `charge.refunded`); the reported ' +
        'refund is the last entry of `providerRefunds`.',
      idShape: "`<orderId>:order.payment-refunded:<provider's event id>`",
    },
    'order.payment-disputed': {
      schema: envelope('order.payment-disputed', orderData),
      publishedWhen:
        'The payment provider reported a dispute (a webhook `charge.dispute.created`); the dispute is the last entry ' +
        'of `disputes`.',
      idShape: "`<orderId>:order.payment-disputed:<provider's event id>`",
    },
    'order.refunded': {
      schema: envelope('order.refunded', z.extend(orderData, { refund })),
      publishedWhen:
        'An admin refunded money after fulfilment (PARTIALLY_REFUNDED or REFUNDED); `refund` describes it.',
      idShape: '`<orderId>:order.refunded:<refundId>`',
    },
    'inventory.reorder-suggested': {
      schema: envelope('inventory.reorder-suggested', reorderSuggestion),
      publishedWhen:
        'The daily demand forecast found a product at or below its reorder point; at most once per product and day.',
      idShape: '`<productId>:inventory.reorder-suggested:<YYYY-MM-DD>`',
    },
    'inventory.oversold': {
      schema: envelope('inventory.oversold', oversoldStock),
      publishedWhen:
        'Reconciliation found units of a product held or sold beyond every unit stocked: what replication lag cost ' +
        'in a regional failover (docs/regions.md). Restock, or cancel and refund the newest orders.',
      idShape: '`<productId>:inventory.oversold:<units>`',
    },
    'webhook.endpoint-disabled': {
      schema: envelope('webhook.endpoint-disabled', endpointDisabled),
      publishedWhen:
        'A webhook endpoint kept failing every delivery for days (docs/webhooks.md) and was disabled; its owner should ' +
        'fix the receiver and register it again.',
      idShape: '`<webhookId>:webhook.endpoint-disabled`',
    },
  };

/** Every event type of the catalogue, order events first. */
export const catalogueEventTypes = [...orderEventTypes, ...inventoryEventTypes, ...webhookEventTypes] as const;
