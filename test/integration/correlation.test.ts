import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrderStore } from '../../functions/core/adapters/dynamodb/order-store';
import { keys } from '../../functions/core/data/table-design';
import type { RecordedEvent } from '../../local/emulators/aws-services';
import { oneUnitOrder, orderRequest } from '../helpers/fixtures';
import { startWithUser, type TestSystem } from '../helpers/local-system';

/**
 * One correlation id follows an order from the API request through the saga, the payment provider and the events,
 * offline exactly as in AWS (the same handlers and ASL).
 */
let system: TestSystem;
let alice: string;
beforeAll(async () => ({ system, token: alice } = await startWithUser('alice')));
afterAll(() => system?.stop());

const beans = 'prod_espresso_beans';

async function eventsOf(orderId: string): Promise<RecordedEvent[]> {
  return (await system.publishedEvents()).filter(
    (event) => (event.detail as { data: { orderId: string } }).data.orderId === orderId,
  );
}

const correlationOf = (event: RecordedEvent) => (event.detail as { correlationId?: unknown }).correlationId;

/** The requests the payment sandbox received for one order (each names the order in its path or its key). */
function providerRequestsOf(orderId: string) {
  return system.runtime.payments
    .requests()
    .filter((request) => request.path.includes(orderId) || request.idempotencyKey?.startsWith(`${orderId}:`));
}

async function storedOrder(orderId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await system.runtime.documentClient.send(
    new GetCommand({ TableName: system.runtime.tableName, Key: keys.order(orderId), ConsistentRead: true }),
  );
  return Item;
}

async function placeAndFinish(paymentToken: string, headers: Record<string, string> = {}) {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    headers,
    body: orderRequest({ items: [{ productId: beans, quantity: 1 }], paymentToken }),
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  const final = await system.waitForTerminal(orderId, alice);
  // Events are published just after the status write: let the saga finish before reading the bus.
  await system.runtime.drain(10_000);
  return { placed, orderId, final };
}

it("carries the client's x-correlation-id from the request to the provider and every event", async () => {
  const { placed, orderId, final } = await placeAndFinish('pm_card_visa', { 'x-correlation-id': 'test-corr-123' });
  expect(placed.headers.get('x-correlation-id')).toBe('test-corr-123');
  expect(final.status).toBe('CONFIRMED');

  const events = await eventsOf(orderId);
  expect(events.map((event) => [event.detailType, correlationOf(event)])).toEqual([
    ['order.placed', 'test-corr-123'],
    ['order.confirmed', 'test-corr-123'],
  ]);

  const authorize = providerRequestsOf(orderId).filter((request) => request.idempotencyKey === `${orderId}:authorize`);
  expect(authorize.length).toBeGreaterThanOrEqual(1);
  expect(authorize.map((request) => [request.method, request.path, request.correlationId])).toEqual(
    authorize.map(() => ['POST', '/v1/payment_intents', 'test-corr-123']),
  );

  // Kept with the order for operators, and not part of what clients see of it.
  expect(await storedOrder(orderId)).toMatchObject({ correlationId: 'test-corr-123' });
  expect(placed.body).not.toHaveProperty('correlationId');
  expect(final).not.toHaveProperty('correlationId');
});

it("echoes the gateway's request id when the client sent none, and the flow carries that", async () => {
  const { placed, orderId } = await placeAndFinish('pm_card_visa');
  const requestId = placed.headers.get('x-amzn-requestid');
  expect(requestId).toEqual(expect.any(String));
  expect(placed.headers.get('x-correlation-id')).toBe(requestId);
  expect((await eventsOf(orderId)).map(correlationOf)).toEqual([requestId, requestId]);
  expect(providerRequestsOf(orderId).map((request) => request.correlationId)).toEqual(
    providerRequestsOf(orderId).map(() => requestId),
  );
});

it('ignores a malformed x-correlation-id and uses the request id instead', async () => {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    headers: { 'x-correlation-id': 'no spaces allowed' },
    body: orderRequest({ items: [{ productId: beans, quantity: 1 }], paymentToken: 'pm_card_visa' }),
  });
  expect(placed.status).toBe(202);
  expect(placed.headers.get('x-correlation-id')).toBe(placed.headers.get('x-amzn-requestid'));
  await system.waitForTerminal(placed.body.orderId as string, alice);
});

it('echoes it on problem+json errors', async () => {
  const refused = await system.call('POST', '/orders', {
    token: alice,
    headers: { 'x-correlation-id': 'corr-of-a-bad-order' },
    body: orderRequest({ items: [], paymentToken: 'pm_card_visa' }),
  });
  expect(refused.status).toBe(400);
  expect(refused.headers.get('content-type')).toBe('application/problem+json');
  expect(refused.headers.get('x-correlation-id')).toBe('corr-of-a-bad-order');
});

it('carries it through the compensations of a declined payment', async () => {
  const { orderId, final } = await placeAndFinish('pm_card_chargeDeclined', { 'x-correlation-id': 'corr-declined' });
  expect(final).toMatchObject({ status: 'FAILED', failureReason: 'PAYMENT_DECLINED' });
  expect((await eventsOf(orderId)).map((event) => [event.detailType, correlationOf(event)])).toEqual([
    ['order.placed', 'corr-declined'],
    ['order.failed', 'corr-declined'],
  ]);
  // The authorization attempts and VoidPayment's lookup of the order's payments.
  const requests = providerRequestsOf(orderId);
  expect(requests.some((request) => request.method === 'GET')).toBe(true);
  expect(new Set(requests.map((request) => request.correlationId))).toEqual(new Set(['corr-declined']));
});

it("gives a cancellation the cancel request's id: its workflow's provider calls and its event", async () => {
  const { orderId } = await placeAndFinish('pm_card_visa', { 'x-correlation-id': 'corr-placed' });
  const cancelled = await system.call('POST', `/orders/${orderId}/cancel`, {
    token: alice,
    headers: { 'x-correlation-id': 'corr-cancelled' },
  });
  expect(cancelled.status).toBe(200);
  expect(cancelled.headers.get('x-correlation-id')).toBe('corr-cancelled');
  await system.runtime.drain(10_000);

  expect((await eventsOf(orderId)).map((event) => [event.detailType, correlationOf(event)])).toEqual([
    ['order.placed', 'corr-placed'],
    ['order.confirmed', 'corr-placed'],
    ['order.cancelled', 'corr-cancelled'],
  ]);
  const voids = providerRequestsOf(orderId).filter((request) => request.path.endsWith('/cancel'));
  expect(voids).toEqual([expect.objectContaining({ method: 'POST', correlationId: 'corr-cancelled' })]);
});

it('shows the id in the events of the local events endpoint', async () => {
  const { orderId } = await placeAndFinish('pm_card_visa', { 'x-correlation-id': 'corr-local-bus' });
  const { status, body } = await system.call<{ events: RecordedEvent[] }>('GET', '/local/events');
  expect(status).toBe(200);
  const shown = body.events.filter((event) => (event.detail as { data: { orderId: string } }).data.orderId === orderId);
  expect(shown.map(correlationOf)).toEqual(['corr-local-bus', 'corr-local-bus']);
});

it('resumes an order stored without a correlation id under the recovery run’s own id', async () => {
  // An order placed before orders kept a correlation id, whose saga died with its executor.
  const createdAt = new Date(Date.now() - 60_000).toISOString();
  const legacy = oneUnitOrder({
    orderId: 'ord_legacy_without_correlation',
    customerId: 'legacy-customer',
    status: 'PENDING',
    product: { productId: beans, name: 'Espresso beans', price: 2490 },
    createdAt,
    paymentMethod: 'pm_card_visa',
  });
  await new DynamoDbOrderStore(system.runtime.documentClient, system.runtime.tableName).create(legacy);

  const recovered = (await system.runtime.runJob('recover-orders', { olderThanSeconds: 0 })) as {
    restarted: string[];
  };
  expect(recovered.restarted).toContain(legacy.orderId);
  await system.runtime.drain(10_000);

  // Every state passes `$.correlationId` on: had the job not set one, the execution would have failed at once.
  expect((await storedOrder(legacy.orderId))?.status).toBe('CONFIRMED');
  const confirmed = (await eventsOf(legacy.orderId)).find((event) => event.detailType === 'order.confirmed');
  expect(confirmed).toBeDefined();
  const runId = correlationOf(confirmed!);
  expect(runId).toEqual(expect.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/));
  expect(providerRequestsOf(legacy.orderId).map((request) => request.correlationId)).toEqual(
    providerRequestsOf(legacy.orderId).map(() => runId),
  );
});
