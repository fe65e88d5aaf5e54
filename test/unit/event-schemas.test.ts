import * as z from 'zod/mini';
import {
  inventoryEventTypes,
  orderEvent,
  orderEventTypes,
  transitionEvent,
  transitionEventTypes,
  type DomainEvent,
  webhookEventTypes,
} from '../../functions/core/domain/events';
import { endpointDisabledEvent } from '../../functions/core/use-cases/webhooks/deliver';
import type { Order, Refund } from '../../functions/core/domain/order';
import type { ProviderEvent } from '../../functions/core/domain/payment-webhook';
import type { RefundRequest } from '../../functions/core/domain/ports';
import { catalogueEventTypes, eventCatalogue } from '../../functions/core/schemas/event-schemas';
import { forecastAllProducts } from '../../functions/core/use-cases/jobs/forecast-demand';
import { refundOrder } from '../../functions/core/use-cases/orders/refund-order';
import {
  handlePaymentWebhook,
  type PaymentWebhookDeps,
} from '../../functions/core/use-cases/payments/handle-payment-webhook';
import { testProduct } from '../helpers/fixtures';

/**
 * The catalogue's schemas are true: the events the real code builds (orderEvent for each type, transitionEvent, the
 * refund, provider webhook and forecast events as their use cases hand them to the stores' outbox writes) validate, and parse to themselves (nothing outside the schemas,
 * which strip what they do not know). The fields the domain deliberately keeps out of events are not in them.
 */

const admin = { kind: 'admin', id: 'admin-sub' } as const;

/** An order carrying every field, the internal ones included: what orderEvent must leave out. */
const order: Order = {
  orderId: 'ord_1',
  customerId: 'partner:acme',
  status: 'FULFILLED',
  items: [
    {
      productId: 'beans',
      name: 'Beans',
      quantity: 2,
      unitPrice: { amount: 500, currency: 'EUR' },
      lineTotal: { amount: 1000, currency: 'EUR' },
    },
  ],
  total: { amount: 1000, currency: 'EUR' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:05:00.000Z',
  version: 6,
  failureReason: 'PAYMENT_DECLINED',
  shippingAddress: {
    name: 'Grace Hopper',
    line1: '1 Harbour Road',
    city: 'Dublin',
    postalCode: 'D02 X285',
    country: 'IE',
    phone: '+35312345678',
  },
  contactEmail: 'grace@example.com',
  paymentAuthorizationId: 'pi_1',
  paymentMethod: 'pm_card_visa',
  correlationId: 'corr-1',
  failure: { reason: 'PAYMENT_DECLINED', at: '2026-01-01T00:01:00.000Z' },
  attention: { reason: 'void kept failing', at: '2026-01-01T00:02:00.000Z' },
  risk: { decision: 'review', source: 'model', modelVersion: 'v1', score: 0.4, at: '2026-01-01T00:00:01.000Z' },
  paymentAction: {
    paymentIntentId: 'pi_1',
    clientSecret: 'pi_1_secret_x',
    nextActionType: 'use_stripe_sdk',
    expiresAt: '2026-01-01T00:10:00.000Z',
  },
  heldDecision: { decision: 'continue', at: '2026-01-01T00:03:00.000Z', by: 'admin-sub' },
  reviewDeadline: '2026-01-02T00:00:00.000Z',
  refunds: [
    {
      refundId: 're_0',
      amount: 100,
      reason: 'broken',
      at: '2026-01-01T00:04:00.000Z',
      actor: admin,
      restocked: [{ productId: 'beans', quantity: 1 }],
    },
  ],
  refundedAmount: 100,
  providerRefunds: [{ eventId: 'evt_0', objectId: 'ch_0', amount: 50, currency: 'eur', at: '2026-01-01T00:04:30Z' }],
  disputes: [],
};

/** Validates `event` against its type's schema and checks that parsing it loses nothing. */
function expectInCatalogue(event: DomainEvent) {
  const schema = eventCatalogue[event.type].schema;
  const result = z.safeParse(schema, event);
  expect(result.error?.issues).toBeUndefined();
  // Objects strip unknown keys: a field the schema does not describe would be missing from the output.
  expect(result.data).toEqual(JSON.parse(JSON.stringify(event)));
}

const leftOut = [
  'paymentMethod',
  'failure',
  'attention',
  'risk',
  'paymentAction',
  'heldDecision',
  'reviewDeadline',
  'correlationId',
] as const;

/** The keys of the `data` object a schema describes. */
function dataKeys(type: keyof typeof eventCatalogue): string[] {
  const json = z.toJSONSchema(eventCatalogue[type].schema, { io: 'input' }) as unknown as {
    properties: { data: { properties: Record<string, unknown> } };
  };
  return Object.keys(json.properties.data.properties);
}

describe('event schemas', () => {
  it('cover exactly the event types the domain publishes', () => {
    const published = [...orderEventTypes, ...inventoryEventTypes, ...webhookEventTypes];
    expect(Object.keys(eventCatalogue).sort()).toEqual([...published].sort());
    expect(catalogueEventTypes).toEqual(published);
  });

  it('validates webhook.endpoint-disabled as the webhook sender writes it, without the secret', () => {
    const event = endpointDisabledEvent(
      {
        webhookId: 'wh_1',
        ownerId: 'partner:acme',
        url: 'https://hooks.example.com/orders',
        eventTypes: ['order.confirmed'],
        status: 'enabled',
        secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0',
        createdAt: '2026-12-01T00:00:00.000Z',
        updatedAt: '2026-12-01T00:00:00.000Z',
      } as never,
      '2026-12-01T00:00:00.000Z',
      '2026-12-06T00:00:00.000Z',
    );
    expectInCatalogue(event);
    expect(JSON.stringify(event)).not.toContain('whsec_');
  });

  // order.refunded is built by its use case (with `refund`): below.
  it.each(orderEventTypes.filter((type) => type !== 'order.refunded'))(
    '%s as orderEvent() builds it validates, with nothing outside the schema',
    (type) => {
      const cancellation = type === 'order.cancelled' ? { actor: admin, reason: 'customer asked' } : undefined;
      expectInCatalogue(orderEvent(type, order, '2026-01-01T00:06:00.000Z', 'corr-2', cancellation));
    },
  );

  it.each(['CONFIRMED', 'FAILED', 'CANCELLED', 'FULFILLED'] as const)(
    'validates the event a transition to %s writes (transitionEvent, the outbox)',
    (status) => {
      const next = { ...order, status };
      const event = transitionEvent(next, { actor: admin, reason: 'customer asked', correlationId: 'corr-4' });
      expect(event?.type).toBe(transitionEventTypes[status]);
      expectInCatalogue(event!);
    },
  );

  it('validates an order event without the optional fields (an order placed before they existed)', () => {
    const { shippingAddress, contactEmail, correlationId, ...old } = order;
    void [shippingAddress, contactEmail, correlationId];
    expectInCatalogue(orderEvent('order.confirmed', old, '2026-01-01T00:06:00.000Z'));
    expectInCatalogue(orderEvent('order.cancelled', old, '2026-01-01T00:06:00.000Z'));
  });

  it('validates order.refunded as refundOrder writes it', async () => {
    const published: DomainEvent[] = [];
    let current: Order = { ...order, refunds: undefined, refundedAmount: undefined };
    const deps = {
      orders: {
        get: async () => current,
        // As the store does: the event is built from the refunded order and written with it (the outbox).
        recordRefund: async (read: Order, refund: Refund, to: Order['status'], event: (next: Order) => DomainEvent) => {
          current = {
            ...read,
            status: to,
            version: read.version + 1,
            refunds: [...(read.refunds ?? []), refund],
            refundedAmount: (read.refundedAmount ?? 0) + refund.amount,
          };
          published.push(event(current));
          return current;
        },
      },
      catalog: { adjustStock: async () => undefined as never },
      payments: { refund: async (_request: RefundRequest) => ({ refundId: 're_1' }) },
    } as unknown as Parameters<typeof refundOrder>[0];
    await refundOrder(
      deps,
      'ord_1',
      {
        amount: 300,
        reason: 'returned',
        actor: admin,
        restock: [{ productId: 'beans', quantity: 1 }],
        requestKey: 'k',
      },
      'corr-3',
    );
    expect(published).toHaveLength(1);
    expect(published[0]!.id).toBe('ord_1:order.refunded:re_1');
    expectInCatalogue(published[0]!);
  });

  it('validates order.payment-refunded and order.payment-disputed as the provider webhook writes them', async () => {
    const published: DomainEvent[] = [];
    const seen = new Set<string>();
    const deps: PaymentWebhookDeps = {
      orders: { get: async () => ({ ...order, refundedAmount: undefined }) },
      payments: { reverse: async () => ({ voided: 0, refunded: 0 }), paymentState: async () => 'captured' },
      lookup: { orderIdOf: async () => 'ord_1' },
      ledger: {
        seen: async (id) => seen.has(id),
        record: async (entry) => {
          if (seen.has(entry.eventId)) return false;
          seen.add(entry.eventId);
          if (entry.order?.event) published.push(entry.order.event);
          return true;
        },
      },
      continueAuthenticated: async () => false,
      dedupSeconds: 60,
      now: () => new Date('2026-01-01T01:00:00.000Z'),
    };
    const base = { createdAt: '2026-01-01T00:59:00Z', paymentIntentId: 'pi_1', currency: 'eur' };
    const refund: ProviderEvent = { ...base, id: 'evt_r', type: 'charge.refunded', objectId: 'ch_1', amount: 200 };
    const dispute: ProviderEvent = {
      ...base,
      id: 'evt_d',
      type: 'charge.dispute.created',
      objectId: 'dp_1',
      amount: 1000,
      reason: 'fraudulent',
    };
    expect(await handlePaymentWebhook(deps, refund)).toBe('recorded');
    expect(await handlePaymentWebhook(deps, dispute)).toBe('recorded');
    expect(published.map((event) => event.type)).toEqual(['order.payment-refunded', 'order.payment-disputed']);
    for (const event of published) expectInCatalogue(event);
  });

  it('validates inventory.reorder-suggested as the forecast job writes it', async () => {
    const published: DomainEvent[] = [];
    await forecastAllProducts({
      catalog: { list: async () => ({ products: [testProduct('prod_low', 100, 1)] }) },
      sales: {
        daily: async (productId) =>
          Array.from({ length: 28 }, (_, index) => ({
            productId,
            day: new Date(Date.parse('2026-11-05') + index * 86_400_000).toISOString().slice(0, 10),
            units: 5,
            revenue: 500,
            currency: 'EUR',
          })),
      },
      forecasts: { save: async (_forecast, event) => void (event && published.push(event)) },
      policy: { leadTimeDays: 7, serviceLevel: 0.95 },
      now: () => new Date('2026-12-03T00:15:00.000Z'),
    });
    expect(published.map((event) => event.type)).toEqual(['inventory.reorder-suggested']);
    expectInCatalogue(published[0]!);
  });

  it('refuses what an event must not be: another type, another version, a malformed time', () => {
    const event = orderEvent('order.placed', order, '2026-01-01T00:06:00.000Z');
    const schema = eventCatalogue['order.placed'].schema;
    expect(z.safeParse(schema, { ...event, type: 'order.confirmed' }).success).toBe(false);
    expect(z.safeParse(schema, { ...event, version: 1 }).success).toBe(false);
    expect(z.safeParse(schema, { ...event, occurredAt: 'yesterday' }).success).toBe(false);
    expect(z.safeParse(schema, { ...event, data: { ...event.data, status: 'SHIPPED' } }).success).toBe(false);
    // What the round trip in expectInCatalogue relies on: a field outside the schema does not survive parsing.
    expect(z.parse(schema, { ...event, data: { ...event.data, paymentMethod: 'pm_card_visa' } })).toEqual(event);
  });

  it.each(catalogueEventTypes)('%s leaves out what the domain keeps out of events', (type) => {
    const keys = dataKeys(type);
    for (const field of leftOut) expect(keys).not.toContain(field);
    if (type !== 'order.confirmed') {
      expect(keys).not.toContain('shippingAddress');
      expect(keys).not.toContain('contactEmail');
    }
  });

  it('describes the personal data in order.confirmed only, and what each type adds', () => {
    expect(dataKeys('order.confirmed')).toEqual(expect.arrayContaining(['shippingAddress', 'contactEmail']));
    expect(dataKeys('order.cancelled')).toContain('cancellation');
    expect(dataKeys('order.refunded')).toContain('refund');
    expect(dataKeys('order.payment-refunded')).toContain('providerRefunds');
    expect(dataKeys('order.payment-disputed')).toContain('disputes');
  });
});
