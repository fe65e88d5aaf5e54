import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ulid } from 'ulid';
import { contract } from '../../functions/api/contract';
import { DynamoDbOrderStore } from '../../functions/core/adapters/dynamodb/order-store';
import { routeList, type RouteDefinition, type RouteId } from '../../functions/api/routes';
import { startTestSystem, type ApiResult, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';
import { localWebhookSecret } from '../../local/runtime/local-runtime';
import { sandboxEvent, stripeSignature } from '../../local/emulators/stripe-webhook-sender';

/**
 * Who may call what, checked for every route of the route table against every kind of caller, through the real
 * local gateway (authorizer, scopes, API keys) and the real handlers (group and scope checks).
 *
 * The expected outcome is derived here from each route's `access` fields and from the claims each caller's token
 * carries, written out independently of the implementation (`mayCall`, `authorizationScopes`), so that a change to
 * either side that the other does not share shows up as a failing case.
 */

type Outcome = 'public' | 'unauthenticated' | 'forbidden' | 'allowed';
const outcomes: readonly Outcome[] = ['public', 'unauthenticated', 'forbidden', 'allowed'];

/** Whose API key the caller sends: the storefront's, or its own as a partner (each partner has its own). */
type KeyOwner = 'storefront' | 'partner-a' | 'partner-b';

/** The scope Cognito puts in every signed-in user's access token (and never in an ID token). */
const userScope = 'aws.cognito.signin.user.admin';

/** The claims a caller's token carries, declared here and checked against the minted token before any case runs. */
interface Claims {
  readonly use: 'access' | 'id';
  readonly groups: readonly string[];
  readonly scopes: readonly string[];
}

interface Caller {
  readonly name: string;
  readonly claims?: Claims;
  readonly key: KeyOwner;
  /** Which order fixture fills `{orderId}` for this caller: one it owns (or, for admins, one it may fulfil). */
  readonly order: keyof OrderFixtures;
}

interface OrderFixtures {
  readonly alice: string;
  readonly partnerA: string;
  readonly partnerB: string;
  readonly signedUp: string;
  readonly toFulfil: string;
  /** Alice's, for the admins' cancel: fulfilling or cancelling `toFulfil` would make the other route's 409. */
  readonly toCancel: string;
  /** Alice's, FULFILLED, for the admins' refund (only a fulfilled order can be refunded). */
  readonly toRefund: string;
  /** Alice's, waiting in REVIEW, for the admins' approval and rejection of a risk review (one each). */
  readonly toApprove: string;
  readonly toReject: string;
}

/**
 * Webhook endpoints by owner: the one the owner's calls act on (it has deliveries, to retry) and one to delete
 * (deleting the first would leave the later routes nothing to act on).
 */
interface WebhookFixture {
  readonly webhookId: string;
  readonly toDelete: string;
  readonly deliveryId: string;
}
type WebhookOwner = 'admin' | 'partner-a' | 'partner-b';

/** Routes whose `{orderId}` is one fixture whoever calls (the refused callers change nothing, so any order does). */
const routeOrders: { readonly [id in RouteId]?: keyof OrderFixtures } = {
  adminCancelOrder: 'toCancel',
  adminRefundOrder: 'toRefund',
  adminApproveReview: 'toApprove',
  adminRejectReview: 'toReject',
};

const partnerScopesAll = ['orders/read', 'orders/write'];
const callers: readonly Caller[] = [
  { name: 'anonymous', key: 'storefront', order: 'alice' },
  {
    name: 'customer',
    claims: { use: 'access', groups: ['customers'], scopes: [userScope] },
    key: 'storefront',
    order: 'alice',
  },
  {
    name: 'admin',
    claims: { use: 'access', groups: ['admins'], scopes: [userScope] },
    key: 'storefront',
    order: 'toFulfil',
  },
  {
    name: 'user without group',
    claims: { use: 'access', groups: [], scopes: [userScope] },
    key: 'storefront',
    order: 'alice',
  },
  {
    name: 'signed-up customer',
    claims: { use: 'access', groups: ['customers'], scopes: [userScope] },
    key: 'storefront',
    order: 'signedUp',
  },
  {
    name: 'partner-a',
    claims: { use: 'access', groups: [], scopes: partnerScopesAll },
    key: 'partner-a',
    order: 'partnerA',
  },
  {
    name: 'partner-b',
    claims: { use: 'access', groups: [], scopes: partnerScopesAll },
    key: 'partner-b',
    order: 'partnerB',
  },
  {
    name: 'read-only partner',
    claims: { use: 'access', groups: [], scopes: ['orders/read'] },
    key: 'partner-a',
    order: 'partnerA',
  },
  { name: 'ID token', claims: { use: 'id', groups: ['customers'], scopes: [] }, key: 'storefront', order: 'alice' },
];

/**
 * The access rule, spelled out:
 * - a public route is open to anyone (the gateway and the handler never refuse it for lack of a token);
 * - otherwise the gateway's Cognito authorizer wants a token (401), and, because authenticated methods list OAuth
 *   scopes, an access token carrying one of them: the sign-in scope every user's access token has, or a partner
 *   scope the route grants. ID tokens and partners without a granted scope are refused there (401);
 * - past the authorizer, the handler admits members of a listed group and holders of a listed partner scope, and
 *   refuses everyone else (403 problem+json).
 */
function expectedOutcome(route: RouteDefinition, caller: Caller): Outcome {
  const access = route.access;
  if (access === 'public') return 'public';
  const claims = caller.claims;
  if (!claims) return 'unauthenticated';
  const methodScopes = [userScope, ...access.partnerScopes];
  if (claims.use !== 'access' || !claims.scopes.some((scope) => methodScopes.includes(scope))) {
    return 'unauthenticated';
  }
  const member = claims.groups.some((group) => (access.groups as readonly string[]).includes(group));
  const granted = claims.scopes.some((scope) => (access.partnerScopes as readonly string[]).includes(scope));
  return member || granted ? 'allowed' : 'forbidden';
}

/** Inputs that pass each route's contract, so that an allowed call succeeds and only access decides the outcome. */
const sampleBodies: { readonly [id in RouteId]?: unknown } = {
  createProduct: {
    productId: 'prod_access_matrix',
    name: 'Access matrix probe',
    price: { amount: 100, currency: 'EUR' },
    initialStock: 5,
  },
  updateProduct: { description: 'Touched by the access matrix' },
  adjustStock: { delta: 1, reason: 'access matrix restock' },
  placeOrder: orderRequest({ items: [{ productId: 'prod_paper_filters', quantity: 1 }], paymentToken: 'pm_card_visa' }),
  cancelOrder: {},
  confirmPayment: {},
  adminFulfillOrder: {},
  adminCancelOrder: { reason: 'access matrix: cancelled for the customer' },
  // A partial refund: the admin's call succeeds once, and the refused callers' calls change nothing.
  adminRefundOrder: { amount: 1, reason: 'access matrix: goodwill refund' },
  adminApproveReview: { note: 'access matrix: approved' },
  adminRejectReview: { note: 'access matrix: rejected' },
  // A type no case triggers and a loopback URL (allowed offline): the endpoints it registers never get a delivery,
  // which would otherwise go on changing the state after the call.
  createWebhook: { url: 'http://127.0.0.1:9/access-matrix', eventTypes: ['order.payment-disputed'] },
  rotateWebhookSecret: {},
  retryWebhookDelivery: {},
  // A range in the future: a replay that finds nothing to send and answers 202.
  replayWebhook: { from: '2099-01-01T00:00:00Z', to: '2099-01-02T00:00:00Z' },
};
/**
 * Requests that must be signed rather than authorized: the Stripe webhook is public (no token, no API key) but
 * refuses a body without a valid Stripe-Signature (400), so its sample is an event signed with the local endpoint's
 * secret, of a type the backend acknowledges without acting on.
 */
const signedRequests: { readonly [id in RouteId]?: () => { rawBody: string; headers: Record<string, string> } } = {
  stripeWebhook: () => {
    const rawBody = JSON.stringify(sandboxEvent('customer.created', { id: 'cus_access_matrix', object: 'customer' }));
    return { rawBody, headers: { 'stripe-signature': stripeSignature(rawBody, localWebhookSecret) } };
  },
};
const sampleQueries: { readonly [id in RouteId]?: Record<string, string> } = {
  adminListOrders: { status: 'CONFIRMED' },
};
const productId = 'prod_paper_filters';

let system: TestSystem;
const tokens = new Map<string, string>();
let orders: OrderFixtures;
const webhooks = new Map<WebhookOwner, WebhookFixture>();
/** The fixture endpoints' receiver: answers 200, so each delivery is one attempt and the state settles at once. */
const receiver: Server = createServer((_, response) => response.writeHead(200).end('ok'));

beforeAll(async () => {
  // cdk.json's limits as they are, whatever LOCAL_* variables the shell has: throttling must not decide a case.
  system = await startTestSystem({ rateLimits: {} });
  const idToken = await system.idTokenFor('alice');
  const minted: Record<string, string> = {
    customer: await system.tokenFor('alice'),
    admin: await system.tokenFor('admin', ['admins']),
    'user without group': await system.tokenFor('nogroup', []),
    'signed-up customer': await system.signedUpCustomerToken('matrix-shopper'),
    'partner-a': await system.partnerToken(undefined, 'partner-a'),
    'partner-b': await system.partnerToken(undefined, 'partner-b'),
    'read-only partner': await system.partnerToken('orders/read', 'partner-a'),
    'ID token': idToken,
  };
  for (const [name, token] of Object.entries(minted)) tokens.set(name, token);

  // Webhook endpoints before the orders, so that the orders' events give each owner's endpoint a delivery.
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const webhookCalls = { admin: 'storefront', 'partner-a': 'partner-a', 'partner-b': 'partner-b' } as const;
  const registerWebhook = async (owner: WebhookOwner, eventTypes: string[]) => {
    const created = await system.call('POST', '/webhooks', {
      token: minted[owner]!,
      apiKey: system.apiKey(webhookCalls[owner]),
      body: { url: receiverUrl, eventTypes },
    });
    expect(created.status).toBe(201);
    return created.body.webhookId as string;
  };
  const webhookIds = new Map<WebhookOwner, { webhookId: string; toDelete: string }>();
  for (const owner of Object.keys(webhookCalls) as WebhookOwner[]) {
    webhookIds.set(owner, {
      webhookId: await registerWebhook(owner, ['order.placed']),
      toDelete: await registerWebhook(owner, ['order.payment-disputed']),
    });
  }

  /**
   * A CONFIRMED order of the caller. The owners' own orders went through 3-D Secure (the sandbox's challenge passed,
   * the webhook continued them), so that a confirm of the payment is answered with the order: an allowed call
   * succeeds, and only access decides.
   */
  const confirmedOrder = async (token: string, key: KeyOwner, authenticated = false) => {
    const placed = await system.call('POST', '/orders', {
      token,
      apiKey: system.apiKey(key),
      body: authenticated
        ? { ...(sampleBodies.placeOrder as object), paymentToken: 'pm_card_authenticationRequired' }
        : sampleBodies.placeOrder,
    });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId as string;
    await system.runtime.drain(10_000);
    if (authenticated) {
      const waiting = await system.call('GET', `/orders/${orderId}`, { token, apiKey: system.apiKey(key) });
      expect(waiting.body.status).toBe('ACTION_REQUIRED');
      const { paymentIntentId } = waiting.body.paymentAction as { paymentIntentId: string };
      system.runtime.payments.authenticate(paymentIntentId, 'complete');
      await system.runtime.payments.webhookDeliveries();
      await system.runtime.drain(10_000);
    }
    const order = await system.call('GET', `/orders/${orderId}`, { token, apiKey: system.apiKey(key) });
    expect(order.body.status).toBe('CONFIRMED');
    return orderId;
  };
  /**
   * An order of Alice's waiting in REVIEW. This system decides by the rules (no fraud model), so the review score is
   * recorded before the order's saga starts: CheckRisk keeps the first decision recorded, and AuthorizePayment parks
   * the order once its payment is authorized, as it does for an order the model scored for review.
   */
  const orderInReview = async (template: string) => {
    const store = new DynamoDbOrderStore(system.runtime.documentClient, system.runtime.tableName);
    const source = (await store.get(template))!;
    const at = new Date().toISOString();
    const orderId = `ord_${ulid()}`;
    await store.create({
      orderId,
      customerId: source.customerId,
      status: 'PENDING',
      items: source.items,
      total: source.total,
      createdAt: at,
      updatedAt: at,
      version: 1,
      ...(source.shippingAddress ? { shippingAddress: source.shippingAddress } : {}),
      ...(source.contactEmail ? { contactEmail: source.contactEmail } : {}),
      paymentMethod: source.paymentMethod!,
    });
    const review = { decision: 'review', source: 'model', modelVersion: 'access-matrix', score: 0.5, at } as const;
    expect(await store.recordRisk(orderId, review)).toBe(true);
    system.runtime.saga.start(`${orderId}-review`, JSON.stringify({ orderId, correlationId: `matrix-${orderId}` }));
    await system.runtime.drain(10_000);
    expect((await store.get(orderId))?.status).toBe('REVIEW');
    return orderId;
  };
  const placed = {
    alice: await confirmedOrder(minted.customer!, 'storefront', true),
    partnerA: await confirmedOrder(minted['partner-a']!, 'partner-a', true),
    partnerB: await confirmedOrder(minted['partner-b']!, 'partner-b', true),
    signedUp: await confirmedOrder(minted['signed-up customer']!, 'storefront', true),
    toFulfil: await confirmedOrder(minted.customer!, 'storefront'),
    toCancel: await confirmedOrder(minted.customer!, 'storefront'),
    toRefund: await confirmedOrder(minted.customer!, 'storefront'),
  };
  orders = {
    ...placed,
    toApprove: await orderInReview(placed.toFulfil),
    toReject: await orderInReview(placed.toFulfil),
  };
  const fulfilled = await system.call('POST', `/admin/orders/${orders.toRefund}/fulfill`, {
    token: minted.admin!,
    apiKey: system.apiKey('storefront'),
    body: {},
  });
  expect(fulfilled.body.status).toBe('FULFILLED');
  // The forecast route answers 404 for a product not forecast yet: the daily job runs once, as its schedule would.
  await system.runtime.runJob('forecast-demand');
  await system.runtime.drain(10_000);
  for (const [owner, ids] of webhookIds) {
    const listed = await system.call('GET', `/webhooks/${ids.webhookId}/deliveries`, {
      token: minted[owner]!,
      apiKey: system.apiKey(webhookCalls[owner]),
    });
    const deliveries = listed.body.deliveries as { deliveryId: string }[];
    expect([owner, deliveries.length > 0]).toEqual([owner, true]);
    webhooks.set(owner, { ...ids, deliveryId: deliveries[0]!.deliveryId });
  }
}, 60_000);

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

/** Whose webhook endpoints a caller's `{webhookId}` names: its own (callers refused anyway get partner-a's). */
function webhookOwnerOf(caller: Caller): WebhookOwner {
  if (caller.name === 'admin' || caller.name === 'partner-b') return caller.name;
  return 'partner-a';
}

type Route = (typeof routeList)[number];

function pathFor(route: Route, caller: Caller): string {
  const filled = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === 'productId') return productId;
    if (name === 'orderId') return orders[routeOrders[route.id] ?? caller.order];
    const webhook = webhooks.get(webhookOwnerOf(caller))!;
    if (name === 'webhookId') return route.id === 'deleteWebhook' ? webhook.toDelete : webhook.webhookId;
    if (name === 'deliveryId') return webhook.deliveryId;
    throw new Error(`no fixture for path parameter {${name}} of ${route.method} ${route.path}`);
  });
  const query = sampleQueries[route.id];
  return query ? `${filled}?${new URLSearchParams(query).toString()}` : filled;
}

/** Calls the API, waiting out a throttle (bounded) so that a 429 never stands in for an access decision. */
async function callAs(route: Route, caller: Caller, options: { apiKey?: string | null } = {}): Promise<ApiResult> {
  const body = sampleBodies[route.id];
  const token = tokens.get(caller.name);
  for (let attempt = 1; ; attempt++) {
    const result = await system.call(route.method, pathFor(route, caller), {
      ...(token ? { token } : {}),
      ...(body === undefined ? {} : { body }),
      ...signedRequests[route.id]?.(),
      apiKey: options.apiKey === undefined ? system.apiKey(caller.key) : options.apiKey,
    });
    if (result.status !== 429 || attempt === 5) return result;
    await new Promise((resolve) => setTimeout(resolve, 1000 * Number(result.headers.get('retry-after') ?? 1)));
  }
}

const statesChange = (route: RouteDefinition) => route.method !== 'GET';

/** A 2xx, or a failure that shows what came back instead. */
function expectSuccess({ status, body }: Pick<ApiResult, 'status' | 'body'>) {
  expect(status >= 200 && status < 300 ? 'a 2xx' : `${status} ${JSON.stringify(body)}`).toBe('a 2xx');
}

const cases = routeList.flatMap((route) =>
  callers.map((caller) => ({ route, caller, outcome: expectedOutcome(route, caller) })),
);

describe('the test inputs', () => {
  it('declare the claims the minted tokens really carry', () => {
    for (const caller of callers) {
      const token = tokens.get(caller.name);
      if (!caller.claims) {
        expect(token).toBeUndefined();
        continue;
      }
      const payload = JSON.parse(Buffer.from(token!.split('.')[1]!, 'base64url').toString('utf8')) as {
        token_use?: string;
        'cognito:groups'?: string[];
        scope?: string;
      };
      expect({
        use: payload.token_use,
        groups: payload['cognito:groups'] ?? [],
        scopes: payload.scope ? payload.scope.split(' ') : [],
      }).toEqual({ use: caller.claims.use, groups: caller.claims.groups, scopes: caller.claims.scopes });
    }
  });

  it('satisfy every route contract, so only access can refuse an allowed call', () => {
    for (const route of routeList) {
      const { body, query } = contract[route.id];
      expect([route.id, sampleBodies[route.id] !== undefined]).toEqual([route.id, body !== undefined]);
      if (body) expect([route.id, body.safeParse(sampleBodies[route.id]).success]).toEqual([route.id, true]);
      if (query) expect([route.id, query.safeParse(sampleQueries[route.id] ?? {}).success]).toEqual([route.id, true]);
    }
  });

  it('cover every outcome, with callers × routes cases', () => {
    const counts = Object.fromEntries(
      outcomes.map((outcome) => [outcome, cases.filter((c) => c.outcome === outcome).length]),
    );
    if (process.env.MATRIX_SUMMARY) console.log(`${callers.length} callers × ${routeList.length} routes`, counts);
    expect(cases).toHaveLength(callers.length * routeList.length);
    for (const outcome of outcomes) expect([outcome, counts[outcome]! > 0]).toEqual([outcome, true]);
  });

  // The documented policy for a few well-known cells, by caller, which the derivation must reproduce.
  const documented: Record<string, Partial<Record<RouteId, Outcome>>> = {
    anonymous: { listProducts: 'public', listOrders: 'unauthenticated' },
    customer: {
      placeOrder: 'allowed',
      adminListOrders: 'forbidden',
      adminCancelOrder: 'forbidden',
      adminListReviews: 'forbidden',
      adminApproveReview: 'forbidden',
      adminRejectReview: 'forbidden',
      createWebhook: 'forbidden',
      listWebhooks: 'forbidden',
    },
    admin: {
      createWebhook: 'allowed',
      replayWebhook: 'allowed',
      placeOrder: 'forbidden',
      adminFulfillOrder: 'allowed',
      adminGetOrder: 'allowed',
      adminRefundOrder: 'allowed',
      adminListReviews: 'allowed',
      adminApproveReview: 'allowed',
    },
    'user without group': { getOrder: 'forbidden' },
    'signed-up customer': { placeOrder: 'allowed', getOrder: 'allowed', adminGetOrder: 'forbidden' },
    'partner-a': {
      cancelOrder: 'allowed',
      confirmPayment: 'allowed',
      adminListOrders: 'unauthenticated',
      adminGetOrder: 'unauthenticated',
    },
    'partner-b': { placeOrder: 'allowed', adminCancelOrder: 'unauthenticated', adminRejectReview: 'unauthenticated' },
    'read-only partner': {
      listWebhooks: 'allowed',
      listWebhookDeliveries: 'allowed',
      createWebhook: 'unauthenticated',
      retryWebhookDelivery: 'unauthenticated',
      getOrderHistory: 'allowed',
      placeOrder: 'unauthenticated',
      confirmPayment: 'unauthenticated',
    },
    'ID token': { listOrders: 'unauthenticated' },
  };
  it.each(
    Object.entries(documented).flatMap(([callerName, cells]) =>
      Object.entries(cells).map(([routeId, outcome]) => [callerName, routeId, outcome] as const),
    ),
  )('derive the documented policy: %s on %s is %s', (callerName, routeId, outcome) => {
    expect(cases.find((c) => c.caller.name === callerName && c.route.id === routeId)?.outcome).toBe(outcome);
  });
});

describe.each(routeList.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', (_, route) => {
  it.each(cases.filter((c) => c.route === route).map((c) => [c.caller.name, c.outcome, c.caller] as const))(
    '%s: %s',
    async (_name, outcome, caller) => {
      const refused = outcome === 'unauthenticated' || outcome === 'forbidden';
      const before = refused && statesChange(route) ? await system.snapshot() : undefined;

      const { status, headers, body } = await callAs(route, caller);

      switch (outcome) {
        case 'public':
        case 'allowed':
          // Fixtures exist and bodies pass the contract, so an admitted call succeeds: access alone decided it.
          expectSuccess({ status, body });
          break;
        case 'unauthenticated':
          expect([status, body]).toEqual([401, { message: 'Unauthorized' }]);
          break;
        case 'forbidden':
          expect(status).toBe(403);
          expect(headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(body).toMatchObject({ status: 403, code: 'FORBIDDEN', requestId: headers.get('x-amzn-requestid') });
          break;
      }
      if (before) expect(await system.snapshot()).toEqual(before);
    },
  );
});

describe('API keys', () => {
  const keyed = routeList.filter((route) => route.apiKeyRequired);
  const open = routeList.filter((route) => !route.apiKeyRequired);
  /** A caller the route admits, so that only the key can be what refuses the call. */
  const admittedCaller = (route: RouteDefinition) => {
    const caller = callers.find((c) => ['public', 'allowed'].includes(expectedOutcome(route, c)));
    if (!caller) throw new Error(`nobody may call ${route.method} ${route.path}`);
    return caller;
  };

  it('are required somewhere and optional somewhere', () => {
    expect(keyed.length).toBeGreaterThan(0);
    expect(open.length).toBeGreaterThan(0);
  });

  it.each(keyed.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: no key or an unknown key is refused before the handler runs',
    async (_, route) => {
      const before = await system.snapshot();
      for (const apiKey of [null, 'not-a-key-of-any-plan']) {
        const { status, headers, body } = await callAs(route, admittedCaller(route), { apiKey });
        expect([status, body]).toEqual([403, { message: 'Forbidden' }]);
        // Every handler response carries the security headers; API Gateway's own answers do not.
        expect(headers.get('x-content-type-options')).toBeNull();
      }
      expect(await system.snapshot()).toEqual(before);
    },
  );

  it.each(open.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: works without a key',
    async (_, route) => {
      expectSuccess(await callAs(route, admittedCaller(route), { apiKey: null }));
    },
  );
});

/**
 * Tenancy: every caller that owns orders (a seeded customer, a signed-up one, two partners) against every other
 * one's order on every route that names an order of the caller's own. Another tenant's order does not exist for
 * the caller: 404, whatever the route, and nothing changes.
 */
describe('tenants see and change only their own orders', () => {
  const owners: readonly { readonly caller: string; readonly order: keyof OrderFixtures }[] = [
    { caller: 'customer', order: 'alice' },
    { caller: 'signed-up customer', order: 'signedUp' },
    { caller: 'partner-a', order: 'partnerA' },
    { caller: 'partner-b', order: 'partnerB' },
  ];
  const ownOrderRoutes = routeList.filter(
    (route) => route.path.includes('{orderId}') && route.access !== 'public' && route.access.partnerScopes.length > 0,
  );
  const crossings = ownOrderRoutes.flatMap((route) =>
    owners.flatMap((caller) =>
      owners
        .filter((owner) => owner !== caller)
        .map((owner) => [`${route.method} ${route.path}`, caller.caller, owner.caller, route, owner.order] as const),
    ),
  );

  it('cover every route that names an order of the caller', () => {
    expect(ownOrderRoutes.map((route) => route.id).sort()).toEqual([
      'cancelOrder',
      'confirmPayment',
      'getOrder',
      'getOrderHistory',
    ]);
  });

  it.each(crossings)('%s: %s on the order of %s is 404', async (_, callerName, _owner, route, fixture) => {
    const caller = callers.find((candidate) => candidate.name === callerName)!;
    const before = statesChange(route) ? await system.snapshot() : undefined;
    const path = route.path.replace('{orderId}', orders[fixture]);
    const body = sampleBodies[route.id];
    const { status, body: problem } = await system.call(route.method, path, {
      token: tokens.get(callerName)!,
      apiKey: system.apiKey(caller.key),
      ...(body === undefined ? {} : { body }),
    });
    expect([status, (problem as { code?: string }).code]).toEqual([404, 'NOT_FOUND']);
    if (before) expect(await system.snapshot()).toEqual(before);
  });
});
