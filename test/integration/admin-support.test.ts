import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

/**
 * Support tools, through the local gateway: an admin reads any order with its history, cancels any order with a
 * reason (the customer's cancellation, audited with the admin's id), and finds a customer's orders.
 */

let system: TestSystem;
let alice: string;
let bob: string;
let admin: string;
let partner: string;

beforeAll(async () => {
  system = await startTestSystem();
  [alice, bob, admin, partner] = await Promise.all([
    system.tokenFor('alice'),
    system.tokenFor('bob'),
    system.tokenFor('support-admin', ['admins']),
    system.partnerToken(),
  ]);
});

afterAll(async () => {
  await system?.stop();
});

/** The `sub` claim of a token: a user's customer id, an admin's principal id. */
function subjectOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string }).sub;
}

const partnerKey = () => system.apiKey('partner-standard');

async function confirmedOrder(
  token: string,
  options: { productId?: string; quantity?: number; apiKey?: string } = {},
): Promise<string> {
  const { productId = 'prod_espresso_beans', quantity = 1, apiKey } = options;
  const placed = await system.call('POST', '/orders', {
    token,
    ...(apiKey ? { apiKey } : {}),
    body: orderRequest({ items: [{ productId, quantity }], paymentToken: 'pm_card_visa' }),
  });
  expect(placed.status).toBe(202);
  const orderId = placed.body.orderId as string;
  await system.runtime.drain(10_000);
  const order = await system.call('GET', `/orders/${orderId}`, { token, ...(apiKey ? { apiKey } : {}) });
  expect(order.body.status).toBe('CONFIRMED');
  return orderId;
}

async function eventsOf(orderId: string) {
  return (await system.publishedEvents()).filter(
    (event) => (event.detail as { data: { orderId: string } }).data.orderId === orderId,
  );
}

describe('GET /admin/orders/{orderId}', () => {
  it("reads another customer's order with its history, oldest first, and answers 304 to its ETag", async () => {
    const orderId = await confirmedOrder(alice);
    const read = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ orderId, status: 'CONFIRMED', customerId: subjectOf(alice) });
    const history = read.body.history as { status: string; at: string }[];
    expect(history.map((entry) => entry.status)).toEqual(['PENDING', 'RESERVED', 'AUTHORIZED', 'CONFIRMED']);
    expect(history.map((entry) => entry.at)).toEqual(history.map((entry) => entry.at).sort());
    // Internal fields stay inside.
    expect(read.body).not.toHaveProperty('paymentMethod');
    expect(read.body).not.toHaveProperty('version');

    const etag = read.headers.get('etag');
    expect(etag).toMatch(/^"\d+"$/);
    const again = await system.call('GET', `/admin/orders/${orderId}`, {
      token: admin,
      headers: { 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
  });

  it("reads a partner's order", async () => {
    const orderId = await confirmedOrder(partner, { apiKey: partnerKey() });
    const read = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ orderId, customerId: 'partner:partner-a' });
  });

  it('answers 404 problem+json for an unknown order', async () => {
    const missing = await system.call('GET', '/admin/orders/ord_does_not_exist', { token: admin });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(missing.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('who may use the support routes', () => {
  it('refuses customers (403) and partners (401 at the gateway: admin routes grant no partner scope), changing nothing', async () => {
    const orderId = await confirmedOrder(bob);
    const before = await system.snapshot();
    const attempts = [
      { method: 'GET', path: `/admin/orders/${orderId}` },
      { method: 'POST', path: `/admin/orders/${orderId}/cancel`, body: { reason: 'not mine to cancel' } },
      { method: 'GET', path: `/admin/orders?customerId=${subjectOf(bob)}` },
    ];
    for (const { method, path, body } of attempts) {
      const asCustomer = await system.call(method, path, { token: bob, ...(body ? { body } : {}) });
      expect([path, asCustomer.status, asCustomer.body.code]).toEqual([path, 403, 'FORBIDDEN']);
      const asPartner = await system.call(method, path, {
        token: partner,
        apiKey: partnerKey(),
        ...(body ? { body } : {}),
      });
      expect([path, asPartner.status]).toEqual([path, 401]);
    }
    expect(await system.snapshot()).toEqual(before);
  });
});

describe('POST /admin/orders/{orderId}/cancel', () => {
  it("cancels a customer's confirmed order as the customer's cancel does, audited with the admin's id and reason", async () => {
    const before = await system.available('prod_pour_over_kettle');
    const orderId = await confirmedOrder(alice, { productId: 'prod_pour_over_kettle', quantity: 2 });
    expect(await system.available('prod_pour_over_kettle')).toBe(before - 2);

    const reason = '  Customer called support: the order was placed twice  ';
    const cancelled = await system.call('POST', `/admin/orders/${orderId}/cancel`, {
      token: admin,
      body: { reason },
      headers: { 'idempotency-key': `support-${orderId}` },
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ orderId, status: 'CANCELLED', customerId: subjectOf(alice) });
    await system.runtime.drain(10_000);

    // The same compensations as the customer's cancel: stock back on the shelf, the authorization voided.
    expect(await system.available('prod_pour_over_kettle')).toBe(before);
    expect(system.liveAuthorizations(orderId)).toEqual([]);
    expect(system.runtime.payments.paymentIntents().find((a) => a.metadata.orderId === orderId)?.status).toBe(
      'canceled',
    );

    // Audited: the history entry and the order.cancelled event say who (the admin's id) and why (trimmed).
    const actor = { kind: 'admin', id: subjectOf(admin) };
    const detail = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect((detail.body.history as unknown[]).at(-1)).toEqual({
      status: 'CANCELLED',
      at: expect.any(String),
      reason: reason.trim(),
      actor,
    });
    const cancellation = (await eventsOf(orderId)).find((event) => event.detailType === 'order.cancelled');
    expect((cancellation?.detail as { data: { cancellation: unknown } }).data.cancellation).toEqual({
      actor,
      reason: reason.trim(),
    });

    // The customer sees that support cancelled it, not the note support wrote nor who wrote it.
    const own = await system.call('GET', `/orders/${orderId}/history`, { token: alice });
    expect((own.body.history as unknown[]).at(-1)).toEqual({
      status: 'CANCELLED',
      at: expect.any(String),
      reason: 'cancelled by support',
    });

    // Idempotent: the same key and body replay the answer, the same key with another reason is refused.
    const replayed = await system.call('POST', `/admin/orders/${orderId}/cancel`, {
      token: admin,
      body: { reason },
      headers: { 'idempotency-key': `support-${orderId}` },
    });
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const reused = await system.call('POST', `/admin/orders/${orderId}/cancel`, {
      token: admin,
      body: { reason: 'another reason' },
      headers: { 'idempotency-key': `support-${orderId}` },
    });
    expect(reused.status).toBe(422);
    await system.runtime.drain(10_000);
    expect(await system.available('prod_pour_over_kettle')).toBe(before);
    expect((await eventsOf(orderId)).filter((event) => event.detailType === 'order.cancelled')).toHaveLength(1);
  });

  it("records the owner's own cancellation with the owner as actor; a later admin cancel does not rewrite it", async () => {
    const orderId = await confirmedOrder(alice);
    expect((await system.call('POST', `/orders/${orderId}/cancel`, { token: alice })).status).toBe(200);
    const owner = { actor: { kind: 'customer', id: subjectOf(alice) }, reason: 'cancelled by the customer' };
    const detail = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect((detail.body.history as unknown[]).at(-1)).toMatchObject({ status: 'CANCELLED', ...owner });

    // Already cancelled: answered with the order, nothing recorded, and the one event (written with the owner's
    // cancellation) names the owner.
    const again = await system.call('POST', `/admin/orders/${orderId}/cancel`, {
      token: admin,
      body: { reason: 'duplicate ticket' },
    });
    expect([again.status, again.body.status]).toEqual([200, 'CANCELLED']);
    await system.runtime.drain(10_000);
    const after = await system.call('GET', `/admin/orders/${orderId}`, { token: admin });
    expect(after.body.history).toEqual(detail.body.history);
    const cancellations = (await eventsOf(orderId))
      .filter((event) => event.detailType === 'order.cancelled')
      .map((event) => (event.detail as { data: { cancellation: unknown } }).data.cancellation);
    expect(cancellations).toEqual([owner]);
  });

  it('refuses a fulfilled order with 409 ORDER_NOT_CANCELLABLE', async () => {
    const orderId = await confirmedOrder(alice);
    expect((await system.call('POST', `/admin/orders/${orderId}/fulfill`, { token: admin })).status).toBe(200);
    const refused = await system.call('POST', `/admin/orders/${orderId}/cancel`, {
      token: admin,
      body: { reason: 'too late' },
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE' });
    expect((await system.call('GET', `/orders/${orderId}`, { token: alice })).body.status).toBe('FULFILLED');
  });

  it('refuses a missing, blank, oversized or unexpected reason with 400 naming it, and changes nothing', async () => {
    const orderId = await confirmedOrder(alice);
    const before = await system.snapshot();
    // `''` is the body as a whole: none at all, or one with a field the contract does not know.
    const bodies: { body?: unknown; path: string }[] = [
      { body: {}, path: 'reason' },
      { path: '' },
      { body: { reason: '   ' }, path: 'reason' },
      { body: { reason: 'x'.repeat(501) }, path: 'reason' },
      { body: { reason: 42 }, path: 'reason' },
      { body: { reason: 'fine', refund: true }, path: '' },
    ];
    for (const { body, path } of bodies) {
      const refused = await system.call('POST', `/admin/orders/${orderId}/cancel`, {
        token: admin,
        ...(body === undefined ? {} : { body }),
      });
      expect([body, refused.status, refused.body.code]).toEqual([body, 400, 'VALIDATION_FAILED']);
      expect([body, (refused.body.errors as { path: string }[]).map((error) => error.path)]).toEqual([body, [path]]);
    }
    expect(await system.snapshot()).toEqual(before);
  });

  it('answers 404 for an unknown order', async () => {
    const missing = await system.call('POST', '/admin/orders/ord_does_not_exist/cancel', {
      token: admin,
      body: { reason: 'no such order' },
    });
    expect(missing.status).toBe(404);
  });
});

describe('GET /admin/orders?customerId=', () => {
  it("returns only that customer's orders, newest first, page by page", async () => {
    const carol = await system.tokenFor('carol');
    const dave = await system.tokenFor('dave');
    const carols: string[] = [];
    for (let i = 0; i < 3; i++) carols.push(await confirmedOrder(carol));
    await confirmedOrder(dave);
    const customerId = subjectOf(carol);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ customerId, limit: '2', ...(cursor ? { cursor } : {}) });
      const page = await system.call('GET', `/admin/orders?${query.toString()}`, { token: admin });
      expect(page.status).toBe(200);
      const orders = page.body.orders as { orderId: string; customerId: string }[];
      expect(orders.length).toBeLessThanOrEqual(2);
      for (const order of orders) expect(order.customerId).toBe(customerId);
      seen.push(...orders.map((order) => order.orderId));
      cursor = page.body.nextCursor as string | undefined;
      pages++;
    } while (cursor && pages < 5);
    expect(pages).toBe(2);
    expect(seen).toEqual([...carols].reverse());

    // With a status too: that customer's orders in that status only.
    expect((await system.call('POST', `/orders/${carols[0]!}/cancel`, { token: carol })).status).toBe(200);
    const cancelled = await system.call('GET', `/admin/orders?customerId=${customerId}&status=CANCELLED`, {
      token: admin,
    });
    expect((cancelled.body.orders as { orderId: string }[]).map((order) => order.orderId)).toEqual([carols[0]]);
  });

  it("finds a partner's orders by `partner:<client id>`", async () => {
    const orderId = await confirmedOrder(partner, { apiKey: partnerKey() });
    const customerId = 'partner:partner-a';
    const page = await system.call('GET', `/admin/orders?customerId=${encodeURIComponent(customerId)}&limit=100`, {
      token: admin,
    });
    expect(page.status).toBe(200);
    const orders = page.body.orders as { orderId: string; customerId: string }[];
    expect(orders.map((order) => order.orderId)).toContain(orderId);
    expect(new Set(orders.map((order) => order.customerId))).toEqual(new Set([customerId]));
  });

  it('refuses a query with neither status nor customerId, or a malformed customer id, with 400 naming the field', async () => {
    const neither = await system.call('GET', '/admin/orders', { token: admin });
    expect(neither.status).toBe(400);
    expect((neither.body.errors as { path: string }[]).map((error) => error.path)).toEqual(['status']);
    const malformed = await system.call('GET', `/admin/orders?customerId=${encodeURIComponent('CUSTOMER#x')}`, {
      token: admin,
    });
    expect(malformed.status).toBe(400);
    expect((malformed.body.errors as { path: string }[]).map((error) => error.path)).toContain('customerId');
  });

  it("refuses another customer's cursor", async () => {
    const erin = await system.tokenFor('erin');
    await confirmedOrder(erin);
    await confirmedOrder(erin);
    const first = await system.call('GET', `/admin/orders?customerId=${subjectOf(erin)}&limit=1`, { token: admin });
    const cursor = first.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    const query = new URLSearchParams({ customerId: subjectOf(alice), cursor });
    const refused = await system.call('GET', `/admin/orders?${query.toString()}`, { token: admin });
    expect(refused.status).toBe(400);
  });
});
