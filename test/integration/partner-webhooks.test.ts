import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { DynamoDbWebhookStore } from '../../functions/core/adapters/dynamodb/webhook-store';
import { endpointDisabledEvent } from '../../functions/core/use-cases/webhooks/deliver';
import { orderEventTypes } from '../../functions/core/domain/events';
import {
  deliveryIdOf,
  deliveryIdRange,
  maxEndpointsPerOwner,
  newSigningSecret,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../../functions/core/domain/webhooks';
import { orderRequest } from '../helpers/fixtures';
import { startTestSystem, type ApiResult, type TestSystem } from '../helpers/local-system';

/**
 * Partner webhooks on the real offline system: the gateway, the handlers, DynamoDB Local, the local bus delivering
 * to the fan-out consumer, the delivery queue with its delays and the sender invoked by the queue poller, posting
 * over real HTTP to receivers listening on this machine. The retry schedule is shortened to seconds.
 */

interface Received {
  readonly headers: Record<string, string>;
  readonly body: string;
  /** What the receiver answered. */
  readonly status: number;
}

/** A webhook receiver: answers 503 while down, 200 when up, and keeps every request it got. */
class Receiver {
  readonly requests: Received[] = [];
  up = true;
  private readonly server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      this.requests.push({ headers, body: Buffer.concat(chunks).toString('utf8'), status: this.up ? 200 : 503 });
      response.writeHead(this.up ? 200 : 503, { 'content-type': 'text/plain' });
      response.end(this.up ? 'ok' : `down for maintenance ${'.'.repeat(1000)}`);
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const schedule = [1, 1, 1, 1, 2, 2, 2];

let system: TestSystem;
const receivers: Receiver[] = [];
let tokens: { partnerA: string; partnerB: string; admin: string };

beforeAll(async () => {
  system = await startTestSystem({ webhookRetryScheduleSeconds: schedule });
  tokens = {
    partnerA: await system.partnerToken(undefined, 'partner-a'),
    partnerB: await system.partnerToken(undefined, 'partner-b'),
    admin: await system.tokenFor('admin', ['admins']),
  };
}, 60_000);

afterAll(async () => {
  await system?.stop();
  await Promise.all(receivers.map((receiver) => receiver.stop()));
});

async function newReceiver(): Promise<{ receiver: Receiver; url: string }> {
  const receiver = new Receiver();
  receivers.push(receiver);
  return { receiver, url: await receiver.start() };
}

type Who = 'partnerA' | 'partnerB' | 'admin';
const apiKeyOf = (who: Who) =>
  system.apiKey(who === 'partnerA' ? 'partner-a' : who === 'partnerB' ? 'partner-b' : 'storefront');

function call(who: Who, method: string, path: string, body?: unknown): Promise<ApiResult> {
  return system.call(method, path, {
    token: tokens[who],
    apiKey: apiKeyOf(who),
    ...(body === undefined ? {} : { body }),
  });
}

async function register(who: Who, url: string, eventTypes: readonly string[] = orderEventTypes) {
  const created = await call(who, 'POST', '/webhooks', { url, eventTypes, description: `${who} receiver` });
  expect([created.status, created.body.secret]).toEqual([201, expect.stringMatching(/^whsec_/)]);
  return { webhookId: String(created.body.webhookId), secret: String(created.body.secret) };
}

async function placeOrder(who: Who): Promise<string> {
  const placed = await call(
    who,
    'POST',
    '/orders',
    orderRequest({ items: [{ productId: 'prod_espresso_beans', quantity: 1 }], paymentToken: 'pm_card_visa' }),
  );
  expect(placed.status).toBe(202);
  return String(placed.body.orderId);
}

/** Polls until `check` returns a value, or fails with what it last saw when the deadline passes. */
async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The ids of the order events the local bus carried for these orders. */
function eventIdsOf(orderIds: readonly string[]): string[] {
  return system.runtime.aws
    .events()
    .map((event) => event.detail as { id: string; type: string; data: { orderId?: string } })
    .filter((event) => (orderEventTypes as readonly string[]).includes(event.type))
    .filter((event) => orderIds.includes(event.data.orderId ?? ''))
    .map((event) => event.id)
    .sort();
}

/** Verifies every request with the standardwebhooks package and answers the distinct event ids of the 200s. */
function verifiedIds(receiver: Receiver, secret: string): string[] {
  const webhook = new Webhook(secret);
  const ids = new Set<string>();
  for (const request of receiver.requests) {
    const event = webhook.verify(request.body, request.headers) as { id: string };
    expect(event.id).toBe(request.headers['webhook-id']);
    ids.add(event.id);
  }
  return [...ids].sort();
}

describe('partner webhooks', () => {
  it('deliver every event of its orders to a receiver that was down for a while, signed, and only its own', async () => {
    const a = await newReceiver();
    const b = await newReceiver();
    const admin = await newReceiver();
    a.receiver.up = false;
    const endpointA = await register('partnerA', a.url);
    const endpointB = await register('partnerB', b.url);
    const endpointAdmin = await register('admin', admin.url);

    const ordersA = [await placeOrder('partnerA'), await placeOrder('partnerA')];
    const ordersB = [await placeOrder('partnerB')];
    await system.runtime.drain(20_000);
    // Receiver A answers 503 to its first attempts, then comes back well within the retry schedule.
    await eventually('a failed attempt at receiver A', () => (a.receiver.requests.length >= 2 ? true : undefined));
    a.receiver.up = true;

    const expectedA = eventIdsOf(ordersA);
    const expectedB = eventIdsOf(ordersB);
    expect(expectedA.length).toBeGreaterThanOrEqual(4);
    const delivered = (receiver: Receiver, secret: string, expected: string[]) =>
      eventually(`${expected.length} events`, () => {
        const ids = verifiedIds(receiver, secret);
        const accepted = new Set(receiver.requests.filter((r) => r.status === 200).map((r) => r.headers['webhook-id']));
        return expected.every((id) => accepted.has(id)) ? ids : undefined;
      });
    expect(await delivered(a.receiver, endpointA.secret, expectedA)).toEqual(expectedA);
    expect(await delivered(b.receiver, endpointB.secret, expectedB)).toEqual(expectedB);
    // Admins hear about every order.
    const adminIds = await delivered(admin.receiver, endpointAdmin.secret, [...expectedA, ...expectedB].sort());
    expect(adminIds).toEqual(expect.arrayContaining([...expectedA, ...expectedB]));

    // The deliveries list shows the retries: delivered in the end, some after more than one attempt, with the
    // excerpt of the last answer cut to 256 characters.
    const list = await eventually('every delivery of A delivered', async () => {
      const page = await call('partnerA', 'GET', `/webhooks/${endpointA.webhookId}/deliveries?limit=100`);
      const deliveries = page.body.deliveries as { status: string; attempts: number; lastResponseCode?: number }[];
      return deliveries.length === expectedA.length && deliveries.every((d) => d.status === 'delivered')
        ? deliveries
        : undefined;
    });
    expect(list.some((delivery) => delivery.attempts > 1)).toBe(true);
    expect(list.every((delivery) => delivery.lastResponseCode === 200)).toBe(true);
    // Events carry the order's version: a receiver orders an order's events by it.
    const versions = a.receiver.requests.map(
      (request) => (JSON.parse(request.body) as { data: { version: number } }).data.version,
    );
    expect(versions.every((version) => Number.isInteger(version))).toBe(true);
  }, 90_000);

  // Loopback itself is accepted offline (WEBHOOKS_ALLOW_LOOPBACK: receivers run on this machine); the unit tests
  // check that it is refused otherwise.
  it('refuse a bad URL, a private address and an unknown event type with 400, registering nothing', async () => {
    const before = await call('partnerA', 'GET', '/webhooks');
    const refusals: [unknown, string][] = [
      [{ url: 'ftp://example.com/hook', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'not a url', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'http://example.com/hook', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://10.1.2.3/hook', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://169.254.169.254/latest/meta-data', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://[fd00:ec2::254]/', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://[::ffff:169.254.169.254]/', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://192.168.1.10/hook', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://[fe80::1]/hook', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://user:pass@127.0.0.1/hook', eventTypes: ['order.placed'] }, 'url'],
      [{ url: 'https://hooks.example.com/hook', eventTypes: ['order.shipped'] }, 'eventTypes.0'],
      [{ url: 'https://hooks.example.com/hook', eventTypes: [] }, 'eventTypes'],
    ];
    for (const [body, field] of refusals) {
      const refused = await call('partnerA', 'POST', '/webhooks', body);
      expect([JSON.stringify(body), refused.status, refused.headers.get('content-type')]).toEqual([
        JSON.stringify(body),
        400,
        'application/problem+json',
      ]);
      const errors = refused.body.errors as { path: string }[];
      expect([JSON.stringify(body), errors.map((error) => error.path)]).toEqual([
        JSON.stringify(body),
        expect.arrayContaining([field]),
      ]);
    }
    expect((await call('partnerA', 'GET', '/webhooks')).body).toEqual(before.body);
  });

  it("keep partners apart: another partner's endpoint is a 404 to list, delete, rotate, retry or replay", async () => {
    const { url } = await newReceiver();
    const own = await register('partnerA', url, ['order.placed']);
    const listedByB = (await call('partnerB', 'GET', '/webhooks')).body.webhooks as { webhookId: string }[];
    expect(listedByB.map((webhook) => webhook.webhookId)).not.toContain(own.webhookId);
    const attempts = [
      ['DELETE', `/webhooks/${own.webhookId}`, undefined],
      ['POST', `/webhooks/${own.webhookId}/rotate-secret`, {}],
      ['GET', `/webhooks/${own.webhookId}/deliveries`, undefined],
      ['POST', `/webhooks/${own.webhookId}/deliveries/dlv_20260101T000000000Z_x/retry`, {}],
      ['POST', `/webhooks/${own.webhookId}/replay`, { from: '2026-01-01T00:00:00Z', to: '2026-12-31T00:00:00Z' }],
    ] as const;
    for (const [method, path, body] of attempts) {
      expect([method, path, (await call('partnerB', method, path, body)).status]).toEqual([method, path, 404]);
    }
    const listedByA = (await call('partnerA', 'GET', '/webhooks')).body.webhooks as Record<string, unknown>[];
    const mine = listedByA.find((webhook) => webhook.webhookId === own.webhookId);
    expect(mine).toMatchObject({ status: 'enabled', eventTypes: ['order.placed'] });
    // The secret is shown once: never in a list.
    expect(JSON.stringify(listedByA)).not.toContain('whsec_');
    expect((await call('partnerA', 'DELETE', `/webhooks/${own.webhookId}`)).status).toBe(200);
    expect((await call('partnerA', 'DELETE', `/webhooks/${own.webhookId}`)).status).toBe(404);
  });

  it('rotate the secret: for a day deliveries carry signatures that both the old and the new secret verify', async () => {
    const { receiver, url } = await newReceiver();
    const endpoint = await register('partnerB', url, ['order.placed']);
    const rotated = await call('partnerB', 'POST', `/webhooks/${endpoint.webhookId}/rotate-secret`, {});
    expect(rotated.status).toBe(200);
    const newSecret = String(rotated.body.secret);
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(endpoint.secret);
    expect(Date.parse(String(rotated.body.previousSecretExpiresAt)) - Date.now()).toBeGreaterThan(23 * 3600_000);

    const orderId = await placeOrder('partnerB');
    const request = await eventually('the order.placed delivery', () =>
      receiver.requests.find((r) => (JSON.parse(r.body) as { data: { orderId: string } }).data.orderId === orderId),
    );
    expect(request.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(request.body, request.headers)).toMatchObject({ type: 'order.placed' });
    expect(new Webhook(endpoint.secret).verify(request.body, request.headers)).toMatchObject({ type: 'order.placed' });
    expect(() =>
      new Webhook(`whsec_${Buffer.from('someone else').toString('base64')}`).verify(request.body, request.headers),
    ).toThrow();
  });

  it('list deliveries and retry one by hand after its retries were spent (then it sits in the dead-letter queue)', async () => {
    const { receiver, url } = await newReceiver();
    receiver.up = false;
    const endpoint = await register('admin', url, ['order.placed']);
    const orderId = await placeOrder('partnerA');
    const failed = await eventually(
      'the delivery to fail after its schedule',
      async () => {
        const page = await call('admin', 'GET', `/webhooks/${endpoint.webhookId}/deliveries`);
        const deliveries = page.body.deliveries as Record<string, unknown>[];
        return deliveries.find((d) => d.status === 'failed');
      },
      40_000,
    );
    expect(failed).toMatchObject({ attempts: schedule.length + 1, lastResponseCode: 503 });
    expect(String(failed.lastResponseExcerpt).length).toBeLessThanOrEqual(256);
    const parked = system.runtime.aws.queueMessages(system.runtime.webhookQueues.deadLetters);
    expect(parked.map((message) => (message.body as { deliveryId: string }).deliveryId)).toContain(failed.deliveryId);

    receiver.up = true;
    const retried = await call(
      'admin',
      'POST',
      `/webhooks/${endpoint.webhookId}/deliveries/${String(failed.deliveryId)}/retry`,
      {},
    );
    expect([retried.status, retried.body.status]).toEqual([202, 'pending']);
    await eventually('the retried delivery to be delivered', async () => {
      const page = await call('admin', 'GET', `/webhooks/${endpoint.webhookId}/deliveries`);
      const delivery = (page.body.deliveries as Record<string, unknown>[]).find(
        (d) => d.deliveryId === failed.deliveryId,
      );
      return delivery?.status === 'delivered' ? delivery : undefined;
    });
    const ids = verifiedIds(receiver, endpoint.secret);
    expect(ids).toContain(`${orderId}:order.placed`);

    // A replay of the range sends it once more, under the same webhook-id.
    const sent = receiver.requests.length;
    const replay = await call('admin', 'POST', `/webhooks/${endpoint.webhookId}/replay`, {
      from: new Date(Date.now() - 3600_000).toISOString(),
      to: new Date().toISOString(),
    });
    expect([replay.status, replay.body.replayed]).toEqual([202, 1]);
    await eventually('the replayed delivery', () => (receiver.requests.length > sent ? true : undefined));
    expect(receiver.requests.at(-1)!.headers['webhook-id']).toBe(`${orderId}:order.placed`);
  }, 90_000);
});

describe('the webhook store on DynamoDB Local', () => {
  const at = '2026-12-03T12:00:00.000Z';
  const store = () => new DynamoDbWebhookStore(system.runtime.documentClient, system.runtime.tableName);
  const endpoint = (ownerId: string, webhookId: string): WebhookEndpoint => ({
    webhookId,
    ownerId,
    url: 'https://hooks.example.com/',
    eventTypes: ['order.placed'],
    status: 'enabled',
    secret: newSigningSecret(),
    createdAt: at,
    updatedAt: at,
  });

  it('caps an owner under concurrent registrations, and frees a place on delete', async () => {
    const owner = 'partner:store-cap';
    const results = await Promise.all(
      Array.from({ length: maxEndpointsPerOwner + 5 }, (_, index) =>
        store().createEndpoint(endpoint(owner, `wh_cap_${index}`), maxEndpointsPerOwner),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(maxEndpointsPerOwner);
    expect(await store().listEndpoints(owner)).toHaveLength(maxEndpointsPerOwner);
    const [first] = await store().listEndpoints(owner);
    expect(await store().deleteEndpoint(owner, first!.webhookId)).toBe(true);
    expect(await store().deleteEndpoint(owner, first!.webhookId)).toBe(false);
    expect(await store().createEndpoint(endpoint(owner, 'wh_cap_again'), maxEndpointsPerOwner)).toBe(true);
  });

  it('keeps a failure streak until a success, and disables an endpoint once', async () => {
    const owner = 'partner:store-streak';
    await store().createEndpoint(endpoint(owner, 'wh_streak'), maxEndpointsPerOwner);
    expect(await store().noteFailure(owner, 'wh_streak', '2026-12-03T12:00:00.000Z')).toBe('2026-12-03T12:00:00.000Z');
    expect(await store().noteFailure(owner, 'wh_streak', '2026-12-04T12:00:00.000Z')).toBe('2026-12-03T12:00:00.000Z');
    await store().noteSuccess(owner, 'wh_streak');
    await store().noteSuccess(owner, 'wh_streak');
    expect(await store().noteFailure(owner, 'wh_streak', '2026-12-05T12:00:00.000Z')).toBe('2026-12-05T12:00:00.000Z');
    const streaking = (await store().getEndpoint(owner, 'wh_streak'))!;
    const disabled = endpointDisabledEvent(streaking, '2026-12-05T12:00:00.000Z', at);
    expect(await store().disableEndpoint(owner, 'wh_streak', at, disabled)).toBe(true);
    expect(await store().disableEndpoint(owner, 'wh_streak', at, disabled)).toBe(false);
    expect(await store().getEndpoint(owner, 'wh_streak')).toMatchObject({ status: 'disabled', disabledAt: at });
    // The owner is told through the outbox: the event rode on the endpoint's own write, and reaches the bus once.
    const told = (await system.publishedEvents()).filter((event) => event.detailType === 'webhook.endpoint-disabled');
    expect(told.map((event) => (event.detail as { data: { webhookId: string } }).data.webhookId)).toEqual([
      'wh_streak',
    ]);
    expect(JSON.stringify(told)).not.toContain('whsec_');
    expect(await store().noteFailure(owner, 'wh_missing', at)).toBeUndefined();
  });

  it('records a delivery once, lets one claim per attempt through, and finds deliveries by event time', async () => {
    const events = ['2026-12-01T10:00:00.000Z', '2026-12-02T10:00:00.000Z', '2026-12-03T10:00:00.000Z'].map(
      (occurredAt, index) => ({ id: `ord_store_${index}:order.placed`, occurredAt }),
    );
    const deliveries: WebhookDelivery[] = events.map((event) => ({
      deliveryId: deliveryIdOf('wh_store', event),
      webhookId: 'wh_store',
      ownerId: 'partner:store',
      eventId: event.id,
      eventType: 'order.placed',
      occurredAt: event.occurredAt,
      payload: JSON.stringify(event),
      status: 'pending',
      attempts: 0,
      seriesStart: 0,
      createdAt: at,
      updatedAt: at,
    }));
    for (const delivery of deliveries) expect((await store().addDelivery(delivery)).created).toBe(true);
    expect(await store().addDelivery(deliveries[0]!)).toMatchObject({ created: false });
    const id = deliveries[0]!.deliveryId;
    const claims = await Promise.all([1, 1, 1].map(() => store().claimAttempt('wh_store', id, 1, at)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store().claimAttempt('wh_store', id, 3, at)).toBeUndefined();
    await store().recordAttempt('wh_store', id, 1, {
      status: 'pending',
      at,
      responseCode: 503,
      excerpt: 'down',
      nextAttemptAt: at,
    });
    // An outcome for an attempt that is not the last one claimed is ignored.
    await store().recordAttempt('wh_store', id, 0, { status: 'delivered', at, responseCode: 200, excerpt: 'late' });
    expect(await store().getDelivery('wh_store', id)).toMatchObject({
      attempts: 1,
      lastResponseCode: 503,
      status: 'pending',
    });
    const restarted = await store().startSeries('wh_store', id, at);
    expect(restarted).toMatchObject({ status: 'pending', attempts: 1, seriesStart: 1 });
    const range = deliveryIdRange('2026-12-02T00:00:00Z', '2026-12-03T23:59:59Z');
    const inRange = await store().deliveriesBetween('wh_store', range.low, range.high, 10);
    expect(inRange.map((delivery) => delivery.eventId)).toEqual([events[1]!.id, events[2]!.id]);
    const newest = await store().listDeliveries('wh_store', { limit: 2 });
    expect(newest.deliveries.map((delivery) => delivery.eventId)).toEqual([events[2]!.id, events[1]!.id]);
    const rest = await store().listDeliveries('wh_store', { limit: 2, cursor: newest.nextCursor! });
    expect(rest.deliveries.map((delivery) => delivery.eventId)).toEqual([events[0]!.id]);
  });
});
