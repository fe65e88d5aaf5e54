import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { httpWebhookSender } from '../../functions/core/adapters/webhook-sender';
import { ValidationError, WebhookLimitError } from '../../functions/core/domain/errors';
import type { DomainEvent } from '../../functions/core/domain/events';
import { classifyAddress, mayConnectTo } from '../../functions/core/domain/network-address';
import {
  adminWebhookOwner,
  defaultRetryScheduleSeconds,
  deliveryIdOf,
  newSigningSecret,
  nextRetryDelayMs,
  type AttemptOutcome,
  type DeliveryMessage,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookStore,
} from '../../functions/core/domain/webhooks';
import { deliver, signedHeaders, type DeliverDeps } from '../../functions/core/use-cases/webhooks/deliver';
import { registerEndpoint } from '../../functions/core/use-cases/webhooks/endpoints';
import { fanOutEvent } from '../../functions/core/use-cases/webhooks/fan-out';

/** The store's contract in memory, conditions included (the DynamoDB adapter runs in the integration tests). */
class MemoryWebhookStore implements WebhookStore {
  readonly endpoints = new Map<string, WebhookEndpoint>();
  readonly deliveries = new Map<string, WebhookDelivery>();
  private readonly key = (a: string, b: string) => `${a}|${b}`;

  async createEndpoint(endpoint: WebhookEndpoint, cap: number) {
    if ((await this.listEndpoints(endpoint.ownerId)).length >= cap) return false;
    this.endpoints.set(this.key(endpoint.ownerId, endpoint.webhookId), endpoint);
    return true;
  }
  async getEndpoint(ownerId: string, webhookId: string) {
    return this.endpoints.get(this.key(ownerId, webhookId));
  }
  async listEndpoints(ownerId: string) {
    return [...this.endpoints.values()].filter((endpoint) => endpoint.ownerId === ownerId);
  }
  async deleteEndpoint(ownerId: string, webhookId: string) {
    return this.endpoints.delete(this.key(ownerId, webhookId));
  }
  async rotateSecret(ownerId: string, webhookId: string, secret: string, previousSecretExpiresAt: string) {
    const endpoint = await this.getEndpoint(ownerId, webhookId);
    if (!endpoint) return undefined;
    const rotated = { ...endpoint, secret, previousSecret: endpoint.secret, previousSecretExpiresAt };
    this.endpoints.set(this.key(ownerId, webhookId), rotated);
    return rotated;
  }
  async noteFailure(ownerId: string, webhookId: string, at: string) {
    const endpoint = await this.getEndpoint(ownerId, webhookId);
    if (!endpoint) return undefined;
    const failingSince = endpoint.failingSince ?? at;
    this.endpoints.set(this.key(ownerId, webhookId), { ...endpoint, failingSince });
    return failingSince;
  }
  async noteSuccess(ownerId: string, webhookId: string) {
    const endpoint = await this.getEndpoint(ownerId, webhookId);
    if (!endpoint) return;
    const { failingSince: _, ...rest } = endpoint;
    this.endpoints.set(this.key(ownerId, webhookId), rest);
  }
  readonly disabledEvents: DomainEvent[] = [];
  async disableEndpoint(ownerId: string, webhookId: string, at: string, event: DomainEvent) {
    const endpoint = await this.getEndpoint(ownerId, webhookId);
    if (endpoint?.status !== 'enabled') return false;
    this.disabledEvents.push(event);
    this.endpoints.set(this.key(ownerId, webhookId), { ...endpoint, status: 'disabled', disabledAt: at });
    return true;
  }
  async addDelivery(delivery: WebhookDelivery) {
    const existing = this.deliveries.get(this.key(delivery.webhookId, delivery.deliveryId));
    if (existing) return { delivery: existing, created: false };
    this.deliveries.set(this.key(delivery.webhookId, delivery.deliveryId), delivery);
    return { delivery, created: true };
  }
  async getDelivery(webhookId: string, deliveryId: string) {
    return this.deliveries.get(this.key(webhookId, deliveryId));
  }
  async listDeliveries(webhookId: string) {
    return { deliveries: [...this.deliveries.values()].filter((d) => d.webhookId === webhookId) };
  }
  async deliveriesBetween() {
    return [];
  }
  async claimAttempt(webhookId: string, deliveryId: string, attempt: number, at: string) {
    const delivery = await this.getDelivery(webhookId, deliveryId);
    if (delivery?.status !== 'pending' || delivery.attempts !== attempt - 1) return undefined;
    const { nextAttemptAt: _, ...rest } = delivery;
    const claimed = { ...rest, attempts: attempt, lastAttemptAt: at };
    this.deliveries.set(this.key(webhookId, deliveryId), claimed);
    return claimed;
  }
  async recordAttempt(webhookId: string, deliveryId: string, attempt: number, outcome: AttemptOutcome) {
    const delivery = await this.getDelivery(webhookId, deliveryId);
    if (delivery?.attempts !== attempt || delivery.status !== 'pending') return;
    this.deliveries.set(this.key(webhookId, deliveryId), {
      ...delivery,
      status: outcome.status,
      lastResponseExcerpt: outcome.excerpt,
      ...(outcome.responseCode === undefined ? {} : { lastResponseCode: outcome.responseCode }),
      ...(outcome.nextAttemptAt === undefined ? {} : { nextAttemptAt: outcome.nextAttemptAt }),
    });
  }
  async startSeries(webhookId: string, deliveryId: string, at: string) {
    const delivery = await this.getDelivery(webhookId, deliveryId);
    if (!delivery) return undefined;
    const restarted = { ...delivery, status: 'pending' as const, seriesStart: delivery.attempts, nextAttemptAt: at };
    this.deliveries.set(this.key(webhookId, deliveryId), restarted);
    return restarted;
  }
}

class MemoryQueue {
  readonly sent: { message: DeliveryMessage; delaySeconds: number }[] = [];
  readonly deadLetters: (DeliveryMessage & { reason: string })[] = [];
  async send(message: DeliveryMessage, delaySeconds = 0) {
    this.sent.push({ message, delaySeconds });
  }
  async deadLetter(message: DeliveryMessage & { reason: string }) {
    this.deadLetters.push(message);
  }
}

const at = new Date('2026-12-03T12:00:00.000Z');

function endpointFor(ownerId: string, webhookId: string, overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    webhookId,
    ownerId,
    url: 'https://hooks.example.com/orders',
    eventTypes: ['order.placed', 'order.confirmed'],
    status: 'enabled',
    secret: newSigningSecret(),
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    ...overrides,
  };
}

function orderEventOf(customerId: string, type: DomainEvent['type'] = 'order.placed'): DomainEvent {
  return {
    id: `ord_1:${type}`,
    type,
    version: 2,
    occurredAt: at.toISOString(),
    data: { orderId: 'ord_1', customerId, version: 1 },
  };
}

describe('webhook address checks (server-side request forgery)', () => {
  it.each([
    ['93.184.216.34', 'allowed'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'allowed'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['10.0.0.8', 'refused'],
    ['172.20.1.1', 'refused'],
    ['192.168.0.1', 'refused'],
    ['100.64.3.4', 'refused'],
    ['169.254.169.254', 'refused'],
    ['0.0.0.0', 'refused'],
    ['255.255.255.255', 'refused'],
    ['224.0.0.1', 'refused'],
    ['fd00:ec2::254', 'refused'],
    ['fe80::1', 'refused'],
    ['fc00::1', 'refused'],
    ['ff02::1', 'refused'],
    ['::', 'refused'],
    ['::ffff:169.254.169.254', 'refused'],
    ['::ffff:a9fe:a9fe', 'refused'],
    ['0:0:0:0:0:ffff:10.0.0.1', 'refused'],
    ['::ffff:93.184.216.34', 'allowed'],
    ['::10.0.0.1', 'refused'],
    ['64:ff9b::a9fe:a9fe', 'refused'],
    ['2002:a9fe:a9fe::1', 'refused'],
    ['hooks.example.com', 'not-an-address'],
  ])('%s is %s', (address, verdict) => {
    expect(classifyAddress(address)).toBe(verdict);
  });

  it('lets loopback through only when allowed (offline)', () => {
    expect(mayConnectTo('127.0.0.1', false)).toBe(false);
    expect(mayConnectTo('127.0.0.1', true)).toBe(true);
    expect(mayConnectTo('10.0.0.1', true)).toBe(false);
  });
});

describe('webhook registration', () => {
  const deps = (resolved: readonly string[], allowLoopback = false) => ({
    store: new MemoryWebhookStore(),
    resolve: async () => resolved,
    allowLoopback,
    now: () => at,
  });
  const refusedUrl = async (url: string, resolved: readonly string[], allowLoopback = false) => {
    const store = deps(resolved, allowLoopback);
    const error = await registerEndpoint(store, 'partner:acme', { url, eventTypes: ['order.placed'] }).catch(
      (caught: unknown) => caught,
    );
    expect(store.store.endpoints.size).toBe(0);
    return error instanceof ValidationError ? error.issues.map((issue) => issue.path) : error;
  };

  it('refuses http, private addresses behind a name, names with any private address, and loopback outside offline runs', async () => {
    expect(await refusedUrl('http://hooks.example.com/', ['93.184.216.34'])).toEqual(['url']);
    expect(await refusedUrl('https://internal.example.com/', ['10.0.0.5'])).toEqual(['url']);
    expect(await refusedUrl('https://mixed.example.com/', ['93.184.216.34', '169.254.169.254'])).toEqual(['url']);
    expect(await refusedUrl('https://localhost/', ['127.0.0.1'])).toEqual(['url']);
    expect(await refusedUrl('http://127.0.0.1:8080/', [])).toEqual(['url']);
    expect(await refusedUrl('https://nowhere.example.com/', [])).toEqual(['url']);
    expect(await refusedUrl('https://[::ffff:169.254.169.254]/', [])).toEqual(['url']);
  });

  it('refuses an endpoint beyond the cap before resolving anything', async () => {
    const store = new MemoryWebhookStore();
    let lookups = 0;
    const capped = { store, resolve: async () => (lookups++, ['93.184.216.34']), allowLoopback: false };
    const registration = { url: 'https://hooks.example.com/', eventTypes: ['order.placed'] } as const;
    for (let index = 0; index < 10; index++) await registerEndpoint(capped, 'partner:acme', registration);
    const before = lookups;
    await expect(registerEndpoint(capped, 'partner:acme', registration)).rejects.toBeInstanceOf(WebhookLimitError);
    expect([store.endpoints.size, lookups]).toEqual([10, before]);
    // Another owner has a cap of its own.
    await expect(registerEndpoint(capped, 'partner:other', registration)).resolves.toMatchObject({ status: 'enabled' });
  });

  it('accepts a public https endpoint, and loopback http offline', async () => {
    const registered = await registerEndpoint(deps(['93.184.216.34']), 'partner:acme', {
      url: 'https://hooks.example.com/orders',
      eventTypes: ['order.placed', 'order.placed'],
    });
    expect(registered).toMatchObject({ status: 'enabled', eventTypes: ['order.placed'] });
    expect(registered.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const offline = await registerEndpoint(deps([], true), adminWebhookOwner, {
      url: 'http://127.0.0.1:9999/hooks',
      eventTypes: ['order.confirmed'],
    });
    expect(offline.url).toBe('http://127.0.0.1:9999/hooks');
  });
});

describe('webhook signatures', () => {
  const delivery = (endpoint: WebhookEndpoint): WebhookDelivery => ({
    deliveryId: deliveryIdOf(endpoint.webhookId, orderEventOf('partner:acme')),
    webhookId: endpoint.webhookId,
    ownerId: endpoint.ownerId,
    eventId: 'ord_1:order.placed',
    eventType: 'order.placed',
    occurredAt: at.toISOString(),
    payload: JSON.stringify(orderEventOf('partner:acme')),
    status: 'pending',
    attempts: 1,
    seriesStart: 0,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
  });

  it('are Standard Webhooks v1 signatures that the standardwebhooks package verifies', () => {
    const endpoint = endpointFor('partner:acme', 'wh_1');
    const now = new Date();
    const sent = delivery(endpoint);
    const headers = signedHeaders(endpoint, sent, now);
    expect(headers['webhook-id']).toBe('ord_1:order.placed');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(endpoint.secret).verify(sent.payload, headers)).toEqual(JSON.parse(sent.payload));
    const tampered = sent.payload.replace('ord_1', 'ord_2');
    expect(() => new Webhook(endpoint.secret).verify(tampered, headers)).toThrow();
  });

  it('carry the previous secret as a second signature until it expires', () => {
    const previous = newSigningSecret();
    const now = new Date();
    const rotated = endpointFor('partner:acme', 'wh_1', {
      previousSecret: previous,
      previousSecretExpiresAt: new Date(now.getTime() + 1000).toISOString(),
    });
    const sent = delivery(rotated);
    const during = signedHeaders(rotated, sent, now);
    expect(during['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(previous).verify(sent.payload, during)).toBeTruthy();
    expect(new Webhook(rotated.secret).verify(sent.payload, during)).toBeTruthy();
    const after = signedHeaders(rotated, sent, new Date(now.getTime() + 2000));
    expect(after['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(previous).verify(sent.payload, after)).toThrow();
  });
});

describe('the retry schedule', () => {
  it('spreads eight attempts over more than 24 hours even with the least jitter', () => {
    const total = (random: () => number) =>
      defaultRetryScheduleSeconds.reduce(
        (sum, _, index) => sum + nextRetryDelayMs(defaultRetryScheduleSeconds, index + 1, random)!,
        0,
      );
    expect(total(() => 0)).toBeGreaterThan(24 * 3600_000);
    expect(total(() => 1)).toBeLessThan(31 * 3600_000);
    expect(nextRetryDelayMs(defaultRetryScheduleSeconds, 1, () => 0)).toBe(4500);
    expect(nextRetryDelayMs(defaultRetryScheduleSeconds, 1, () => 1)).toBe(5500);
    expect(nextRetryDelayMs(defaultRetryScheduleSeconds, defaultRetryScheduleSeconds.length + 1)).toBeUndefined();
  });
});

describe('fan-out', () => {
  it("records one delivery per interested endpoint (the order's partner's and the admins'), once however often the event comes", async () => {
    const store = new MemoryWebhookStore();
    const queue = new MemoryQueue();
    await store.createEndpoint(endpointFor('partner:acme', 'wh_acme'), 10);
    await store.createEndpoint(endpointFor('partner:other', 'wh_other'), 10);
    await store.createEndpoint(endpointFor(adminWebhookOwner, 'wh_admin'), 10);
    await store.createEndpoint(endpointFor('partner:acme', 'wh_refunds', { eventTypes: ['order.refunded'] }), 10);
    await store.createEndpoint(endpointFor('partner:acme', 'wh_off', { status: 'disabled' }), 10);
    const event = orderEventOf('partner:acme');
    expect(await fanOutEvent({ store, queue, now: () => at }, event)).toEqual({ recorded: 2, existing: 0 });
    expect([...store.deliveries.values()].map((d) => d.webhookId).sort()).toEqual(['wh_acme', 'wh_admin']);
    // Delivered again (the bus is at least once): nothing new; not-yet-tried deliveries are queued again, and the
    // sender's claim lets one message per attempt through.
    expect(await fanOutEvent({ store, queue, now: () => at }, event)).toEqual({ recorded: 0, existing: 2 });
    expect(store.deliveries.size).toBe(2);
    // A customer's (not a partner's) order reaches the admins' endpoints only.
    const shopper = { ...orderEventOf('3f6c1a52-0000-4000-8000-000000000001'), id: 'ord_2:order.placed' };
    expect(await fanOutEvent({ store, queue, now: () => at }, shopper)).toEqual({ recorded: 1, existing: 0 });
  });
});

describe('delivery attempts', () => {
  const setUp = async (answers: number[], overrides: Partial<DeliverDeps> = {}) => {
    const store = new MemoryWebhookStore();
    const queue = new MemoryQueue();
    const published = store.disabledEvents;
    await store.createEndpoint(endpointFor('partner:acme', 'wh_acme'), 10);
    await fanOutEvent({ store, queue, now: () => at }, orderEventOf('partner:acme'));
    let clock = at.getTime();
    const deps: DeliverDeps = {
      store,
      queue,
      send: async () => ({ kind: 'answered', status: answers.shift() ?? 500, excerpt: 'x'.repeat(300).slice(0, 256) }),
      schedule: [5, 300, 1800],
      disableAfterSeconds: 5 * 24 * 3600,
      now: () => new Date(clock),
      random: () => 0.5,
      ...overrides,
    };
    const advance = (ms: number) => (clock += ms);
    return { store, queue, published, deps, advance };
  };

  it('retries on the schedule until a 2xx, then records the delivery with its attempts and last answer', async () => {
    const { store, queue, deps, advance } = await setUp([503, 500, 204]);
    expect(await deliver(deps, queue.sent.shift()!.message)).toBe('retrying');
    expect(queue.sent[0]).toMatchObject({ delaySeconds: 5, message: { attempt: 2 } });
    advance(5000);
    expect(await deliver(deps, queue.sent.shift()!.message)).toBe('retrying');
    expect(queue.sent[0]).toMatchObject({ delaySeconds: 300, message: { attempt: 3 } });
    advance(300_000);
    expect(await deliver(deps, queue.sent.shift()!.message)).toBe('delivered');
    expect([...store.deliveries.values()][0]).toMatchObject({
      status: 'delivered',
      attempts: 3,
      lastResponseCode: 204,
    });
    expect(queue.sent).toHaveLength(0);
  });

  it('drops a duplicate message of an attempt already made, and sends an early message back for the rest of its wait', async () => {
    const { queue, deps, advance } = await setUp([503]);
    const first = queue.sent.shift()!.message;
    await deliver(deps, first);
    expect(await deliver(deps, first)).toBe('stale');
    // A 30-minute wait is longer than SQS's 15-minute delay: the message comes back early and is chained.
    const next = { ...queue.sent.shift()!.message, notBefore: new Date(at.getTime() + 1800_000).toISOString() };
    advance(900_000);
    expect(await deliver(deps, next)).toBe('not-due');
    expect(queue.sent.at(-1)).toMatchObject({ delaySeconds: 900, message: next });
  });

  it('fails the delivery after the last attempt and parks it in the dead-letter queue', async () => {
    const { store, queue, deps } = await setUp([500, 500, 500, 500], { schedule: [0, 0, 0] });
    const outcomes: string[] = [];
    while (queue.sent.length > 0) outcomes.push(await deliver(deps, queue.sent.shift()!.message));
    expect(outcomes).toEqual(['retrying', 'retrying', 'retrying', 'failed']);
    expect([...store.deliveries.values()][0]).toMatchObject({ status: 'failed', attempts: 4, lastResponseCode: 500 });
    expect(queue.deadLetters).toHaveLength(1);
  });

  it('disables an endpoint that kept failing for days and tells its owner, once', async () => {
    const { store, queue, deps, advance, published } = await setUp([500, 500], { disableAfterSeconds: 3600 });
    expect(await deliver(deps, queue.sent.shift()!.message)).toBe('retrying');
    advance(3600_000);
    expect(await deliver(deps, queue.sent.shift()!.message)).toBe('endpoint-disabled');
    expect(await store.getEndpoint('partner:acme', 'wh_acme')).toMatchObject({ status: 'disabled' });
    expect(published.map((event) => [event.type, (event.data as { webhookId: string }).webhookId])).toEqual([
      ['webhook.endpoint-disabled', 'wh_acme'],
    ]);
    expect(JSON.stringify(published)).not.toContain('whsec_');
  });
});

describe('the HTTP sender', () => {
  let server: Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(String(request.headers.host));
      if (request.url === '/hang') return;
      response.writeHead(201);
      response.end('y'.repeat(10_000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('connects to the address it checked (a name the system resolver does not know), keeping the Host header', async () => {
    const send = httpWebhookSender({ resolve: async () => ['127.0.0.1'], allowLoopback: true });
    const result = await send({ url: `http://hooks.invalid:${port}/ok`, headers: {}, body: '{}' });
    expect(result).toEqual({ kind: 'answered', status: 201, excerpt: 'y'.repeat(256) });
    expect(seen.at(-1)).toBe(`hooks.invalid:${port}`);
  });

  it('refuses without connecting when the name resolves to a refused address', async () => {
    const before = seen.length;
    const send = httpWebhookSender({ resolve: async () => ['127.0.0.1'], allowLoopback: false });
    const result = await send({ url: `https://rebound.example.com:${port}/ok`, headers: {}, body: '{}' });
    expect(result).toMatchObject({ kind: 'no-answer', reason: expect.stringMatching(/^refused/) });
    expect(seen.length).toBe(before);
  });

  it('gives up on a receiver that does not answer in time', async () => {
    const send = httpWebhookSender({ resolve: async () => ['127.0.0.1'], allowLoopback: true, timeoutMs: 200 });
    const started = Date.now();
    const result = await send({ url: `http://127.0.0.1:${port}/hang`, headers: {}, body: '{}' });
    expect(result).toEqual({ kind: 'no-answer', reason: 'timed out' });
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
