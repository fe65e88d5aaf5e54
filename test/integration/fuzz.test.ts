import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { contract } from '../../functions/api/contract';
import { routeList, type RouteDefinition, type RouteId } from '../../functions/api/routes';
import { orderStatuses } from '../../functions/core/domain/order';
import { maxEndpointsPerOwner } from '../../functions/core/domain/webhooks';
import { emptyBody } from '../../functions/core/schemas/api-schemas';
import { methodKey, type RateLimits, type ThrottleLimit } from '../../local/emulators/rate-limiter';
import { demoCatalog } from '../../local/runtime/seed-data';
import { startTestSystem, type SystemSnapshot, type TestSystem } from '../helpers/local-system';
import { orderRequest, testShippingAddress } from '../helpers/fixtures';

/**
 * Throws thousands of malformed requests at every route of the route table, through the local gateway with valid
 * tokens and API keys so that they reach the handlers, and checks that
 *   (a) nothing answers with a 5xx,
 *   (b) every 4xx from a handler is problem+json (code, status, requestId) and gives nothing internal away,
 *   (c) nothing changes: requests to state-changing routes always break at least one constraint, a 2xx from one of
 *       them fails the run, and the whole state is compared before and after.
 * Reproduce a failure with the seed fast-check prints (FUZZ_SEED=<seed>); FUZZ_REQUESTS changes the number of requests,
 * FUZZ_SUMMARY=1 prints what the API answered.
 */

const seed = Number(process.env.FUZZ_SEED ?? 20_261_126);
const requestCount = Number(process.env.FUZZ_REQUESTS ?? 2_100);
/**
 * Each run sends a few requests at once: one at a time, the run would be bound by their latency rather than by the
 * gateway's throttles, and take longer than it needs to. A failure names the request of the batch that failed.
 */
const batchSize = 3;
const numRuns = Math.ceil(requestCount / batchSize);

/** The handlers' body limit (http-handler `maxBodyBytes`): larger bodies are refused before they are parsed. */
const handlerBodyLimit = 16 * 1024;

type Route = (typeof routeList)[number];
type CallerName = 'anonymous' | 'alice' | 'admin' | 'partner';
type Plan = 'customer-app' | 'partner-standard';
const plans: readonly Plan[] = ['customer-app', 'partner-standard'];

/** Queries that pass each route's contract: the baseline of requests that fuzz something else. */
const sampleQueries: { readonly [id in RouteId]?: Readonly<Record<string, string>> } = {
  adminListOrders: { status: 'CONFIRMED' },
};

/** Valid inputs the mutations start from (checked against the contract below). */
const sampleBodies: { readonly [id in RouteId]?: unknown } = {
  createProduct: {
    productId: 'prod_fuzz_base',
    name: 'Fuzz base',
    description: 'A product that never gets created',
    price: { amount: 1234, currency: 'EUR' },
    active: true,
    initialStock: 10,
  },
  updateProduct: { name: 'Renamed', description: 'changed', price: { amount: 1, currency: 'EUR' }, active: false },
  adjustStock: { delta: 5, reason: 'fuzz restock' },
  // Every optional address field present, so that each is mutated too.
  placeOrder: orderRequest({
    items: [{ productId: 'prod_espresso_beans', quantity: 1 }],
    paymentToken: 'pm_card_visa',
    shippingAddress: { ...testShippingAddress, line2: 'Hinterhaus', region: 'Berlin', phone: '+49 30 1234567' },
  }),
  cancelOrder: {},
  confirmPayment: {},
  adminFulfillOrder: {},
  adminCancelOrder: { reason: 'fuzz: never cancelled' },
  adminApproveReview: { note: 'fuzz: never approved' },
  adminRejectReview: { note: 'fuzz: never rejected' },
  adminRefundOrder: {
    amount: 1,
    reason: 'fuzz: never refunded',
    restock: [{ productId: 'prod_espresso_beans', quantity: 1 }],
  },
  createWebhook: { url: 'http://127.0.0.1:9/fuzz', eventTypes: ['order.placed'], description: 'fuzz' },
  rotateWebhookSecret: {},
  retryWebhookDelivery: {},
  replayWebhook: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' },
};

interface FuzzRequest {
  readonly routeId: RouteId;
  readonly caller: CallerName;
  /** Encoded path parameter values, by name. */
  readonly segments: Readonly<Record<string, string>>;
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

interface FuzzResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

let system: TestSystem;
const tokens = {} as Record<Exclude<CallerName, 'anonymous'>, string>;
/** Orders that exist, by owner; `{orderId}` is filled from all of them (someone else's order is a 404). */
const ownOrders: Record<'alice' | 'partner', string[]> = { alice: [], partner: [] };
/**
 * Webhook endpoints by owner: each owner is at its cap (so no registration can succeed), and its first endpoint has
 * deliveries (of the fixture orders' order.placed), which `{deliveryId}` is filled from.
 */
const ownWebhooks: Record<'admin' | 'partner', { webhookIds: string[]; deliveryIds: string[] }> = {
  admin: { webhookIds: [], deliveryIds: [] },
  partner: { webhookIds: [], deliveryIds: [] },
};
/** The fixture endpoints' receiver: answers 200, so every delivery is made at once and the state settles. */
const receiver = createServer((_, response) => response.writeHead(200).end('ok'));
/** Their statuses once the sagas have finished; nothing the fuzz sends may change them. */
const fixtureStatus = new Map<string, string>();
/** Cursors the API really issued, to be replayed by the wrong caller, tampered with, or used as they are. */
const issuedCursors: { [id in RouteId]?: string } = {};
let before: SystemSnapshot;
let pacer: Pacer;
const agent = new Agent({ keepAlive: true, maxSockets: batchSize });

beforeAll(async () => {
  // cdk.json's limits whatever LOCAL_* variables the shell has; the pacer below keeps the fuzz under them.
  system = await startTestSystem({ rateLimits: {} });
  tokens.alice = await system.tokenFor('alice');
  tokens.admin = await system.tokenFor('admin', ['admins']);
  tokens.partner = await system.partnerToken();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  const registerWebhooks = async (owner: 'admin' | 'partner', count: number, eventTypes: string[]) => {
    for (let index = 0; index < count; index++) {
      const created = await system.call('POST', '/webhooks', {
        token: tokens[owner],
        apiKey: system.apiKey(owner === 'partner' ? 'partner-standard' : 'customer-app'),
        body: { url: receiverUrl, eventTypes },
      });
      expect(created.status).toBe(201);
      ownWebhooks[owner].webhookIds.push(created.body.webhookId as string);
    }
  };
  // The first endpoint of each owner before the orders, so that it gets their order.placed deliveries.
  for (const owner of ['admin', 'partner'] as const) await registerWebhooks(owner, 1, ['order.placed']);
  const place = async (token: string, plan: Plan, paymentToken: string) => {
    const placed = await system.call('POST', '/orders', {
      token,
      apiKey: system.apiKey(plan),
      body: orderRequest({ items: [{ productId: 'prod_espresso_beans', quantity: 1 }], paymentToken }),
    });
    expect(placed.status).toBe(202);
    return placed.body.orderId as string;
  };
  // Confirmed orders (cancellable, fulfillable) and a failed one (neither), for each owner.
  for (const paymentToken of ['pm_card_visa', 'pm_card_visa', 'pm_card_chargeDeclined']) {
    ownOrders.alice.push(await place(tokens.alice, 'customer-app', paymentToken));
    ownOrders.partner.push(await place(tokens.partner, 'partner-standard', paymentToken));
  }
  await system.runtime.drain(10_000);
  for (const [owner, orderIds] of Object.entries(ownOrders) as ['alice' | 'partner', string[]][]) {
    for (const orderId of orderIds) {
      const { body } = await system.call('GET', `/orders/${orderId}`, {
        token: tokens[owner],
        apiKey: system.apiKey(owner === 'partner' ? 'partner-standard' : 'customer-app'),
      });
      fixtureStatus.set(orderId, body.status as string);
    }
    expect(orderIds.map((orderId) => fixtureStatus.get(orderId))).toEqual(['CONFIRMED', 'CONFIRMED', 'FAILED']);
  }
  for (const owner of ['admin', 'partner'] as const) {
    const [webhookId] = ownWebhooks[owner].webhookIds;
    const listed = await system.call('GET', `/webhooks/${webhookId}/deliveries`, {
      token: tokens[owner],
      apiKey: system.apiKey(owner === 'partner' ? 'partner-standard' : 'customer-app'),
    });
    const deliveries = listed.body.deliveries as { deliveryId: string; status: string }[];
    expect(deliveries.length).toBeGreaterThan(0);
    ownWebhooks[owner].deliveryIds.push(...deliveries.map((delivery) => delivery.deliveryId));
    // The rest up to the cap, for no event anything sends: every registration the fuzz makes is refused (409).
    await registerWebhooks(owner, maxEndpointsPerOwner - 1, ['order.payment-disputed']);
  }
  const cursorOf = async (routeId: RouteId, path: string, token?: string) => {
    const page = await system.call('GET', path, token ? { token } : {});
    expect(page.body.nextCursor).toEqual(expect.any(String));
    issuedCursors[routeId] = page.body.nextCursor as string;
  };
  await cursorOf('listProducts', '/products?limit=1');
  await cursorOf('listOrders', '/orders?limit=1', tokens.alice);
  await cursorOf('adminListOrders', '/admin/orders?status=CONFIRMED&limit=1', tokens.admin);
  before = await system.snapshot();
  pacer = new Pacer(system.runtime.rateLimits);
}, 60_000);

afterAll(async () => {
  agent.destroy();
  await system?.stop();
  await new Promise((resolve) => receiver.close(resolve));
});

// ---------------------------------------------------------------------------------------------------------------
// Generators

const printable = (min: number, max: number) => fc.integer({ min, max }).map((code) => String.fromCharCode(code));
/** Characters Node lets through in a header value: tab, visible ASCII and space, and Latin-1. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(printable(0x20, 0x7e), printable(0x80, 0xff), fc.constant('\t')), maxLength });
const longRun = (min: number, max: number, chars = 'x') =>
  fc.tuple(fc.integer({ min, max }), fc.constantFrom(...chars)).map(([length, char]) => char.repeat(length));
const base64Url = (value: unknown) => Buffer.from(JSON.stringify(value) ?? '').toString('base64url');
/** A segment whose percent-escapes are not valid UTF-8: the gateway cannot decode it into a path parameter. */
const undecodable = (segment: string) => {
  try {
    decodeURIComponent(segment);
    return false;
  } catch {
    return true;
  }
};
const prototypeNames = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty'];

/** Encoded path segments: existing ids, missing ids, junk, traversal, very long ids, unicode. */
function segmentArbitrary(existing: readonly string[]) {
  const options = [
    { weight: 4, arbitrary: fc.constantFrom(...existing) },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/).map((id) => `fuzz-missing-${id}`) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 30 }).map(encodeURIComponent) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '%2e%2e',
        '%2E',
        '..%2F..%2Fadmin%2Forders',
        '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
        '..%5C..%5Cwindows',
        '%252e%252e%252f',
        '%00',
        '%0A',
        '%20',
        '%2F',
        '%3F',
        '%23',
        '%25',
        '~',
        '-',
        "'%20OR%20'1'%3D'1",
        '%3Cscript%3E',
        '%E2%80%AE',
        'CON',
      ),
    },
    { weight: 1, arbitrary: longRun(65, 2000, 'aZ9_-') },
    // Malformed percent-escapes: they once crashed the local gateway's decoding.
    { weight: 1, arbitrary: fc.constantFrom('%', '%E0%A4%A', '%zz', '%C3', '%ED%A0%80', 'abc%') },
  ];
  return fc.oneof(...options);
}

const cursorKeyValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('CATALOG', 'CUSTOMER#x', 'STATUS#CONFIRMED#0', 'ORDER#ord_x', 'PRODUCT#prod_espresso_beans', ''),
);
const startKey = fc.dictionary(
  fc.constantFrom('PK', 'SK', 'GSI1PK', 'GSI1SK', 'GSI2PK', 'GSI2SK', 'x', '__proto__'),
  cursorKeyValue,
  { minKeys: 1, maxKeys: 5 },
);
/** Cursors: forged start keys, forged shard positions, junk, and real ones replayed or with a character changed. */
const cursorArbitrary = fc.oneof(
  startKey.map(base64Url),
  fc.jsonValue({ maxDepth: 3 }).map(base64Url),
  fc
    .dictionary(
      fc.oneof(fc.integer({ min: -1, max: 9 }).map(String), fc.string({ maxLength: 3 })),
      fc.oneof(fc.constant(null), fc.jsonValue({ maxDepth: 2 }), startKey),
      { maxKeys: 9 },
    )
    .map((positions) => base64Url({ shards: JSON.stringify(positions) })),
  fc.jsonValue({ maxDepth: 2 }).map((shards) => base64Url({ shards })),
  fc.string({ maxLength: 100 }),
  fc.base64String({ maxLength: 200 }),
  fc.constant(''),
  // Real cursors exist only once the fixtures do: they are read when a value is generated.
  fc.constant(undefined).chain(() =>
    fc
      .tuple(fc.constantFrom('', ...Object.values(issuedCursors)), fc.nat(), fc.constantFrom('A', '_', '', undefined))
      .map(([cursor, at, replacement]) => {
        if (replacement === undefined) return cursor;
        const position = at % Math.max(1, cursor.length);
        return cursor.slice(0, position) + replacement + cursor.slice(position + 1);
      }),
  ),
);

const queryValue = fc.oneof(
  fc.constantFrom('', '0', '1', '-1', '50', '100', '101', '1e2', '1e309', '-0', '0x10', 'NaN', 'Infinity', 'null'),
  fc.constantFrom('undefined', 'true', '[]', '{}', '1.5', ' 5 ', '9'.repeat(400), '１２'),
  fc.constantFrom(...orderStatuses, 'pending', 'CONFIRMED ', 'ALL', '*'),
  fc
    .date({ min: new Date(0), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
    .map((date) => date.toISOString()),
  fc.constantFrom(
    '2024-02-30T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999999999Z',
    '2025-01-01T00:00:00+01:00',
    '2025-01-01',
    '2025-01-01T00:00:00.000Z',
    '2025-01-01T00:00:00Z',
  ),
  cursorArbitrary,
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  longRun(500, 1500),
);

/** Query strings: up to three random parameters, or the valid baseline with one known parameter set to junk. */
function queryArbitrary(route: Route) {
  const known = Object.keys((contract[route.id].query as unknown as { shape?: object } | undefined)?.shape ?? {});
  const encodePair = ([key, value]: [string, string]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`;
  const name = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...known, 'limit', 'cursor', 'status', 'from', 'to') },
    { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_.[\]-]{1,20}$/) },
    { weight: 1, arbitrary: fc.constantFrom('LIMIT', 'limit[]', 'status[0]', '', ' ', 'a b', '%00', '&', '=') },
    // Names of Object.prototype members: they once crashed the local gateway's query maps.
    { weight: 1, arbitrary: fc.constantFrom(...prototypeNames) },
  );
  const pair = fc
    .tuple(name, queryValue, fc.boolean())
    .map(([key, value, bare]) => (bare && value === '' ? encodeURIComponent(key) : encodePair([key, value])));
  const junk = fc.constantFrom(
    '&&&',
    '=',
    '==',
    '&=&',
    'limit',
    'limit=',
    '%zz=1',
    'a=%',
    '?',
    '#x',
    'status=%E0%A4%A',
  );
  const chaos = fc
    .array(fc.oneof({ weight: 6, arbitrary: pair }, { weight: 1, arbitrary: junk }), { maxLength: 3 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.join('&')}`));
  if (known.length === 0) return chaos;
  // Some of the route's own parameters over the valid baseline, all fitting but one: with the others passing, the odd
  // one is really looked at (a tampered cursor decoded, a date range queried).
  const baseline = Object.entries(sampleQueries[route.id] ?? {});
  const focused = fc
    .subarray(known, { minLength: 1 })
    .chain((names) => fc.tuple(fc.constant(names), fc.constantFrom(...names)))
    .chain(([names, odd]) =>
      fc.tuple(
        ...names.map((key) =>
          (key === odd ? oddQueryValue(route, key) : fittingQueryValue(route, key)).map(
            (value) => [key, value] as const,
          ),
        ),
      ),
    )
    .map((pairs) => `?${[...baseline, ...pairs].map(([key, value]) => encodePair([key, value])).join('&')}`);
  return fc.oneof({ weight: 1, arbitrary: chaos }, { weight: 3, arbitrary: focused });
}

/**
 * A few instants (one around the fixtures' creation) written three ways: ranges come out empty, inverted, or equal
 * instants that do not sort alike (`…00Z` after `…00.000Z`) often enough to be tried in every run.
 */
const timestamp = fc
  .constantFrom('2000-01-01T00:00:00.000Z', new Date(Date.now() - 3_600_000).toISOString(), '2100-01-01T00:00:00.000Z')
  .chain((instant) => fc.constantFrom(instant, instant.replace(/\.\d{3}Z$/, 'Z'), instant.replace(/Z$/, '999Z')));

/** A value the parameter takes. */
function fittingQueryValue(route: Route, name: string): fc.Arbitrary<string> {
  const fitting: Record<string, fc.Arbitrary<string>> = {
    limit: fc.constantFrom('1', '2', '50', '100'),
    cursor: fc.constant(undefined).map(() => issuedCursors[route.id] ?? 'no-cursor-issued'),
    status: fc.constantFrom(...orderStatuses),
    from: timestamp,
    to: timestamp,
  };
  return fitting[name] ?? queryValue;
}

/** A value the parameter may or may not take: out of range, badly typed, tampered with, or anything at all. */
function oddQueryValue(route: Route, name: string): fc.Arbitrary<string> {
  const odd: Record<string, fc.Arbitrary<string>> = {
    limit: fc.constantFrom('0', '101', '-1', '1.5', '1e2', ' 7 ', '0x10', '', '1e309', '١٢'),
    cursor: fc.oneof(tamperedCursor(route), tamperedCursor(route), cursorArbitrary),
    status: fc.constantFrom('confirmed', 'UNKNOWN', 'CONFIRMED,FAILED', ''),
    from: fc.oneof(
      timestamp,
      fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2025-02-29T00:00:00Z'),
    ),
    to: fc.oneof(
      timestamp,
      fc.constantFrom('0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2025-13-01T00:00:00Z'),
    ),
  };
  return fc.oneof({ weight: 3, arbitrary: odd[name] ?? queryValue }, { weight: 1, arbitrary: queryValue });
}

/**
 * A cursor this API issued for the route, with its decoded key or shard positions mutated, then re-encoded; cut at
 * 3,000 characters so the request line stays within what an HTTP server reads (Node: 16 KB with the headers).
 */
function tamperedCursor(route: Route): fc.Arbitrary<string> {
  return fc
    .array(mutationArbitrary, { minLength: 1, maxLength: 2 })
    .map((mutations) => tamper(route, mutations).slice(0, 3000));
}

function tamper(route: Route, mutations: readonly Mutation[]): string {
  const issued = issuedCursors[route.id];
  if (!issued) return '';
  const key = JSON.parse(Buffer.from(issued, 'base64url').toString('utf8')) as { shards?: string };
  if (typeof key.shards === 'string') {
    const positions = mutations.reduce(mutate, JSON.parse(key.shards) as Json);
    return base64Url({ shards: JSON.stringify(positions) });
  }
  return base64Url(mutations.reduce(mutate, key as Json));
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const garbage: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 0.5, -0.0001, 1e21, 1e308, -1e308, 2 ** 31, 2 ** 63, 101),
  fc.constantFrom<Json>(Number.MAX_SAFE_INTEGER + 2, 100_000_001, 1_000_001, -1_000_001, [], {}, [[]], [{}]),
  fc.constantFrom<Json>('NaN', 'Infinity', '-Infinity', '1e400', '0x1F', '１２', '12abc', '', ' ', 'null'),
  fc.constantFrom<Json>('undefined', 'true', '[object Object]', 'pm_card_visa', 'prod_espresso_beans', 'EUR', 'eur'),
  fc.double().map((value) => value as Json),
  fc.integer().map((value) => value as Json),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  longRun(300, 20_000),
  fc.jsonValue({ maxDepth: 3 }).map((value) => value as Json),
);
/** Well-formed values the domain refuses here: unknown or retired products, existing ids, too much stock removed. */
const domainValue = fc.constantFrom<Json>(
  'prod_retired_scale',
  'fuzz-missing-product',
  ...demoCatalog.map((product) => product.productId),
  -1_000_000,
  -999_999,
  -501,
  -26,
  1_000_000,
  100,
  'pm_card_chargeDeclined',
  // Shipping details: unknown, lowercase or alpha-3 countries, postal codes of another country or none, blanks,
  // control characters, lengths just past the caps, emails and phone numbers nearly right.
  'ZZ',
  'de',
  'DEU',
  'HK',
  'US',
  '1234',
  'SW1A 1AA',
  '10115\n',
  ' ',
  'Line\u0000One',
  'x'.repeat(101),
  '9'.repeat(17),
  'not-an-email',
  'a@b',
  ' testa@example.com ',
  `${'x'.repeat(250)}@example.com`,
  '+0301234567',
  '+49 30 1234567 ext 5',
);
const unknownKey = fc.oneof(
  fc.constantFrom(...prototypeNames, 'isAdmin', '', ' ', 'items ', 'ITEMS', 'productId\u0000', 'price.amount'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

interface Mutation {
  readonly pick: number;
  readonly op: 'replace' | 'delete' | 'add' | 'wrap';
  readonly key: string;
  readonly value: Json;
}

/** Every node of a JSON tree, as a path from the root. */
function nodePaths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const here = [prefix];
  if (Array.isArray(value)) return here.concat(...value.map((child, i) => nodePaths(child, [...prefix, i])));
  if (value && typeof value === 'object') {
    return here.concat(...Object.entries(value).map(([key, child]) => nodePaths(child, [...prefix, key])));
  }
  return here;
}

/** A copy of `tree` with `change` applied to the node at `path` (own properties only: `__proto__` stays data). */
function edit(
  tree: Json,
  path: readonly (string | number)[],
  change: (node: Json) => Json | undefined,
): Json | undefined {
  if (path.length === 0) return change(tree);
  const [head, ...rest] = path;
  if (Array.isArray(tree)) {
    const copy = [...tree];
    const edited = edit(copy[head as number]!, rest, change);
    if (edited === undefined) copy.splice(head as number, 1);
    else copy[head as number] = edited;
    return copy;
  }
  const copy: Record<string, Json> = {};
  for (const [key, child] of Object.entries(tree as Record<string, Json>)) {
    const edited = key === head ? edit(child, rest, change) : child;
    if (edited !== undefined) define(copy, key, edited);
  }
  return copy;
}

function define(target: Record<string, Json>, key: string, value: Json) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function mutate(tree: Json, mutation: Mutation): Json {
  const paths = nodePaths(tree);
  const path = paths[mutation.pick % paths.length]!;
  const result = edit(tree, path, (node) => {
    switch (mutation.op) {
      case 'replace':
        return mutation.value;
      case 'delete':
        return undefined;
      case 'wrap':
        return mutation.pick % 2 === 0 ? [node] : { value: node };
      case 'add':
        if (node && typeof node === 'object' && !Array.isArray(node)) {
          const copy: Record<string, Json> = {};
          for (const [key, child] of Object.entries(node)) define(copy, key, child);
          define(copy, mutation.key, mutation.value);
          return copy;
        }
        return Array.isArray(node) ? [...node, mutation.value] : mutation.value;
    }
  });
  return result === undefined ? null : result;
}

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('replace', 'delete', 'add', 'wrap'),
  key: unknownKey,
  value: garbage,
});

/** Bodies: mutated valid samples, random JSON, broken JSON text, deep nesting, oversized, odd scalars, no body. */
function bodyArbitrary(route: Route): fc.Arbitrary<string | undefined> {
  const sample = (sampleBodies[route.id] ?? {}) as Json;
  const text = JSON.stringify(sample);
  const numberLiterals = ['1e400', '-0', '00012', '1.0', '+1', '.5', 'NaN', 'Infinity', '0x10', '1_000', '1e2'];
  const broken = fc.oneof(
    fc.nat({ max: Math.max(0, text.length - 1) }).map((at) => text.slice(0, at)),
    fc.constantFrom(...numberLiterals, '123456789012345678901234567890').map((literal) => {
      return text.replace(/-?\d+(\.\d+)?/, literal);
    }),
    fc.constantFrom(
      `${text},`,
      `${text}}`,
      `{${text}`,
      `\uFEFF${text}`,
      `/* comment */${text}`,
      text.replace(/"/g, "'"),
      `[${text}]`,
      `${text}${text}`,
      'NaN',
      'undefined',
      '{"a":}',
      '{,}',
      '[1,]',
      '"\\x41"',
      '"\\u12"',
      '01',
      '-',
      '1e',
      '\u0000',
      '{"__proto__":{"isAdmin":true,"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      `{"__proto__":{"polluted":true},${text.slice(1)}`,
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 200 }),
  );
  const deep = fc
    .tuple(fc.integer({ min: 20, max: 8000 }), fc.boolean())
    .map(([depth, arrays]) =>
      arrays ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth / 2) + '1' + '}'.repeat(depth / 2),
    );
  const nearlyValid = fc
    .record({ pick: fc.nat(), value: domainValue })
    .map(({ pick, value }) => JSON.stringify(mutate(sample, { pick, op: 'replace', key: '', value })));
  const oversized = fc
    .integer({ min: handlerBodyLimit - 64, max: handlerBodyLimit * 4 })
    .map((length) => JSON.stringify({ ...(sample as object), padding: 'x'.repeat(length) }));
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc
        .array(mutationArbitrary, { minLength: 1, maxLength: 3 })
        .map((ms) => JSON.stringify(ms.reduce(mutate, sample))),
    },
    { weight: 5, arbitrary: nearlyValid },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)) },
    { weight: 3, arbitrary: broken },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: oversized },
    { weight: 1, arbitrary: fc.constantFrom('null', '{}', '[]', '""', '0', 'true', '"{}"', '') },
    { weight: 2, arbitrary: fc.constant(undefined) },
  );
}

const contentTypes = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/vnd.api+json',
  'application/problem+json',
  'application/merge-patch+json',
  'application/json-seq',
  'application/json; charset=iso-8859-1',
  'text/json',
  'application/jsonp',
  '*/*',
  'json',
  ';;;',
  '',
];
/** Content types the API can never take as JSON: with a body, they alone get the request refused. */
const notJson = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
];

const extraHeaderNames = [
  'accept',
  'accept-encoding',
  'accept-language',
  'origin',
  'referer',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-http-method-override',
  'x-amz-date',
  'x-amzn-trace-id',
  'if-match',
  'if-modified-since',
  'range',
  'cookie',
  'x-requested-with',
  'content-encoding',
  'prefer',
  'forwarded',
  'user-agent',
  'idempotency_key',
  'X-Idempotency-Key',
];

function headersArbitrary(): fc.Arbitrary<Record<string, string>> {
  const idempotencyKey = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,64}$/) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', ' ', 'has spaces', 'tab\tinside', 'clé', '\u00ff\u00fe', '"quoted key"'),
    },
    { weight: 1, arbitrary: longRun(256, 1024, 'k-') },
    { weight: 1, arbitrary: headerText(80) },
  );
  const ifNoneMatch = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom('*', 'W/"x"', '"abc"', 'W/', ',', '"', ', , ,', 'W/"1", "2", *', '""') },
    { weight: 1, arbitrary: headerText(200) },
    { weight: 1, arbitrary: longRun(1000, 3000, '"a,') },
  );
  const extraName = fc.oneof(
    fc.constantFrom(...extraHeaderNames),
    fc.stringMatching(/^x-[a-z0-9-]{1,30}$/),
    fc.constantFrom(...prototypeNames),
  );
  return fc
    .record({
      contentType: fc.option(fc.constantFrom(...contentTypes, ...notJson), { nil: undefined }),
      idempotencyKey,
      ifNoneMatch,
      extra: fc.array(fc.tuple(extraName, headerText(500)), { maxLength: 3 }),
      oversized: fc.option(longRun(2000, 3000, 'yY'), { nil: undefined, freq: 8 }),
    })
    .map(({ contentType, idempotencyKey: key, ifNoneMatch: tag, extra, oversized }) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of extra) headers[name] = value;
      if (oversized !== undefined) headers['x-fuzz-oversized'] = oversized;
      if (contentType !== undefined) headers['content-type'] = contentType;
      if (key !== undefined) headers['idempotency-key'] = key;
      if (tag !== undefined) headers['if-none-match'] = tag;
      return headers;
    });
}

// ---------------------------------------------------------------------------------------------------------------
// What must be refused, and why

/** Who may call a route, read from its access rule: the fuzz wants its requests to reach the handler. */
function callersOf(route: RouteDefinition): CallerName[] {
  const access = route.access;
  if (access === 'public') return ['anonymous', 'alice'];
  return [
    ...((access.groups as readonly string[]).includes('customers') ? (['alice'] as const) : []),
    ...((access.groups as readonly string[]).includes('admins') ? (['admin'] as const) : []),
    ...(access.partnerScopes.length > 0 ? (['partner'] as const) : []),
  ];
}

const productIds = demoCatalog.map((product) => product.productId);
const notCancellable = (path: Readonly<Record<string, string | undefined>>) =>
  fixtureStatus.get(path.orderId ?? '') === 'FAILED' ? 'not cancellable' : undefined;

/**
 * Refusals the domain makes on a well-formed request, given what the fixtures hold. They let the fuzz get past
 * validation (to 404s, 409s and 422s) without ever sending a request that could succeed.
 */
const domainRefusals: {
  readonly [id in RouteId]?: (body: never, path: Readonly<Record<string, string | undefined>>) => string | undefined;
} = {
  placeOrder: (body: { items: { productId: string }[] }) =>
    body.items.some((line) => !demoCatalog.some((p) => p.productId === line.productId && p.active))
      ? 'a product is unavailable'
      : undefined,
  createProduct: (body: { productId?: string }) =>
    body.productId !== undefined && productIds.includes(body.productId) ? 'the product exists' : undefined,
  // Nothing the fuzz sends can restock, so the seeded stock is an upper bound of what is on the shelf.
  adjustStock: (body: { delta: number }, path) => {
    const product = demoCatalog.find((candidate) => candidate.productId === path.productId);
    return product && -body.delta > product.available ? 'stock would go below zero' : undefined;
  },
  cancelOrder: (_, path) => notCancellable(path),
  // The fixtures pay with cards that need no 3-D Secure, so none of them ever waits for a confirmation.
  confirmPayment: () => 'the order never waited for payment authentication',
  adminCancelOrder: (_, path) => notCancellable(path),
  // The fixtures are decided by the rules (no fraud model here), so none of them ever waits for a risk review.
  adminApproveReview: () => 'the order never waited for review',
  adminRejectReview: () => 'the order never waited for review',
  adminFulfillOrder: (_, path) => {
    const status = fixtureStatus.get(path.orderId ?? '');
    return status !== undefined && status !== 'CONFIRMED' && status !== 'FULFILLED' ? 'not fulfillable' : undefined;
  },
  // The fixtures are never fulfilled, so no refund can succeed.
  adminRefundOrder: (_, path) => {
    const status = fixtureStatus.get(path.orderId ?? '');
    return status !== undefined && status !== 'FULFILLED' && status !== 'PARTIALLY_REFUNDED'
      ? 'not refundable'
      : undefined;
  },
  // Every caller that may register is at its cap (checked before the URL is resolved).
  createWebhook: () => 'the caller has as many endpoints as allowed',
  replayWebhook: (body: { from: string; to: string }) =>
    Date.parse(body.from) > Date.parse(body.to) ? 'the range ends before it starts' : undefined,
};
const allOrders = () => [...ownOrders.alice, ...ownOrders.partner];

/** The ids a caller can act on through a path parameter (anything else is a 404 or a 400). */
function reachableIds(caller: CallerName, name: string): readonly string[] {
  if (name === 'productId') return productIds;
  if (name === 'orderId') return caller === 'admin' ? allOrders() : caller === 'anonymous' ? [] : ownOrders[caller];
  const webhooks = caller === 'admin' || caller === 'partner' ? ownWebhooks[caller] : undefined;
  if (name === 'webhookId') return webhooks?.webhookIds ?? [];
  if (name === 'deliveryId') return webhooks?.deliveryIds ?? [];
  throw new Error(`no fixture for path parameter {${name}}`);
}

/** Every id of a path parameter that exists, whoever owns it (someone else's is a 404). */
function knownIds(name: string): readonly string[] {
  if (name === 'productId') return productIds;
  if (name === 'webhookId') return [...ownWebhooks.admin.webhookIds, ...ownWebhooks.partner.webhookIds];
  if (name === 'deliveryId') return [...ownWebhooks.admin.deliveryIds, ...ownWebhooks.partner.deliveryIds];
  return allOrders();
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function pathOf(route: Route, segments: Readonly<Record<string, string>>): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name]!);
}

/** Whether the path still names this route once dot segments are resolved (`/orders/..` does not). */
function reachesRoute(route: Route, request: FuzzRequest): boolean {
  const landed = new URL(pathOf(route, request.segments), 'http://127.0.0.1').pathname;
  const pattern = route.path.split('/').map((part) => (/^\{\w+\}$/.test(part) ? '[^/]+' : part));
  return new RegExp(`^${pattern.join('/')}$`).test(landed);
}

/**
 * The constraints a request breaks, each of which alone gets it refused. Requests to state-changing routes are only
 * sent when this list is not empty, so a 2xx from one of them is a bug, never an accident of the generator.
 */
function brokenConstraints(route: Route, request: FuzzRequest): string[] {
  const broken: string[] = [];
  if (!reachesRoute(route, request)) broken.push('path leaves the route');
  const path: Record<string, string | undefined> = {};
  for (const [name, segment] of Object.entries(request.segments)) {
    const value = (path[name] = decodeSegment(segment));
    if (value === undefined || !reachableIds(request.caller, name).includes(value)) broken.push(`{${name}} unknown`);
  }
  const body = request.body;
  const hasBody = body !== undefined && body !== '';
  if (hasBody && notJson.includes(request.headers['content-type'] ?? '')) broken.push('content type');
  if (hasBody && Buffer.byteLength(body) > handlerBodyLimit) broken.push('body too large');
  const schema = contract[route.id].body;
  if (schema) {
    let parsed: { value: unknown } | undefined;
    try {
      parsed = { value: hasBody ? (JSON.parse(body) as unknown) : undefined };
    } catch {
      broken.push('body is not JSON');
    }
    // Actions without parameters take no body as an empty one; anything else must match the contract.
    const input = parsed && parsed.value === undefined && schema === emptyBody ? {} : parsed?.value;
    const valid = parsed ? schema.safeParse(input) : undefined;
    if (valid && !valid.success) broken.push('body breaks the contract');
    const refusal = valid?.success ? domainRefusals[route.id]?.(valid.data as never, path) : undefined;
    if (refusal) broken.push(refusal);
  }
  const key = request.headers['idempotency-key'];
  // HTTP strips whitespace around a field value; what is left must be 1-255 visible ASCII characters.
  if (route.idempotent && key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key.replace(/^[ \t]+|[ \t]+$/g, ''))) {
    broken.push('idempotency key');
  }
  return broken;
}

const changesState = (route: RouteDefinition) => route.method !== 'GET';

/**
 * Requests to one route. Half of them fuzz everything at once; the others keep every part valid but one, so that
 * they get past the checks of the other parts and reach deeper (decoded cursors, domain refusals).
 */
function requestArbitrary(route: Route): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
  const record = <T>(of: (name: string) => fc.Arbitrary<T>) =>
    fc.record(Object.fromEntries(names.map((name) => [name, of(name)])) as Record<string, fc.Arbitrary<T>>);
  const sample = sampleBodies[route.id];
  const fuzzedBody = changesState(route)
    ? bodyArbitrary(route)
    : fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: bodyArbitrary(route) });
  const validQuery = sampleQueries[route.id] ? `?${new URLSearchParams(sampleQueries[route.id]).toString()}` : '';
  const validHeaders = fc.option(fc.stringMatching(/^[\x21-\x7e]{1,64}$/), { nil: undefined }).map((key) => ({
    ...(sample === undefined ? {} : { 'content-type': 'application/json' }),
    ...(route.idempotent && key !== undefined ? { 'idempotency-key': key } : {}),
  }));
  const fuzzed = {
    segments: record((name) => segmentArbitrary(knownIds(name))),
    query: queryArbitrary(route),
    headers: headersArbitrary(),
    body: fuzzedBody,
  };
  const valid = {
    query: fc.constant(validQuery),
    headers: validHeaders,
    body: fc.constant(sample === undefined ? undefined : JSON.stringify(sample)),
  };
  // Handlers of state-changing routes read no query: fuzzing it alone could never break one of their constraints.
  const parts = (['segments', 'query', 'headers', 'body'] as const).filter(
    (part) => (part !== 'segments' || names.length > 0) && (part !== 'query' || !changesState(route)),
  );
  const variants = callersOf(route).flatMap((caller) => {
    const base = {
      routeId: fc.constant(route.id),
      caller: fc.constant(caller),
      segments: record((name) => fc.constantFrom(...reachableIds(caller, name))),
      ...valid,
    };
    // A route that reads a query gets more requests that vary only the query: it is where lists go wrong.
    const weightOf = (part: (typeof parts)[number]) => (part === 'query' && contract[route.id].query ? 3 : 1);
    return [
      { weight: parts.length, arbitrary: fc.record({ ...base, ...fuzzed }) },
      ...parts.map((part) => ({ weight: weightOf(part), arbitrary: fc.record({ ...base, [part]: fuzzed[part] }) })),
    ];
  });
  const arbitrary = fc.oneof(...variants) as fc.Arbitrary<FuzzRequest>;
  return changesState(route) ? arbitrary.filter((request) => brokenConstraints(route, request).length > 0) : arbitrary;
}

// ---------------------------------------------------------------------------------------------------------------
// Sending, pacing, checking

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Client-side token buckets mirroring the gateway's usage-plan and method throttles at 90 % of their rates, so the
 * fuzz waits for tokens instead of being answered 429. The gateway does not tie an API key to a client, so each
 * request takes the key whose plan has a token soonest; both plans' budgets then add up.
 */
class Pacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly share = 0.9;

  constructor(private readonly limits: RateLimits) {}

  async take(method: string, keyed: boolean): Promise<Plan | undefined> {
    const methodLimit = this.limits.methods[method] ?? this.limits.stage;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const needed: [{ tokens: number }, ThrottleLimit][] = [
        [this.refill(`method ${method}`, methodLimit), methodLimit],
      ];
      let plan: Plan | undefined;
      if (keyed) {
        const candidates = plans.map((name) => ({ name, bucket: this.refill(`plan ${name}`, this.planLimit(name)) }));
        const fullest = candidates.reduce((best, candidate) =>
          candidate.bucket.tokens > best.bucket.tokens ? candidate : best,
        );
        plan = fullest.name;
        needed.push([fullest.bucket, this.planLimit(plan)]);
      }
      const waitSeconds = Math.max(
        ...needed.map(([bucket, limit]) =>
          bucket.tokens >= 1 ? 0 : (1 - bucket.tokens) / (limit.rateLimit * this.share),
        ),
      );
      if (waitSeconds === 0) {
        for (const [bucket] of needed) bucket.tokens -= 1;
        return plan;
      }
      await sleep(Math.ceil(waitSeconds * 1000));
    }
    throw new Error(`no token for ${method} after 1000 waits`);
  }

  private planLimit(plan: Plan): ThrottleLimit {
    const limit = this.limits.plans[plan];
    if (!limit) throw new Error(`no usage plan ${plan}`);
    return limit;
  }

  private refill(id: string, limit: ThrottleLimit) {
    const now = Date.now();
    const capacity = limit.burstLimit * this.share;
    // Start half full: the setup's own requests drew on the gateway's buckets without going through here.
    const bucket = this.buckets.get(id) ?? { tokens: capacity / 2, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * limit.rateLimit * this.share);
    bucket.at = now;
    this.buckets.set(id, bucket);
    return bucket;
  }
}

function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<FuzzResponse> {
  const { port } = new URL(system.runtime.apiUrl);
  const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
  // Node frames a GET's body only with an explicit length; unframed, it would be read as the next request.
  const framed = payload ? { ...headers, 'content-length': String(payload.length) } : headers;
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method, path, headers: framed, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    outgoing.setTimeout(15_000, () =>
      outgoing.destroy(new Error(`no answer to ${method} ${path.slice(0, 100)} in 15 s`)),
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** What a problem body must never contain: stack frames, table names, AWS SDK error names, file paths. */
const internals: readonly RegExp[] = [
  /\bat [\w.<>$]+ \(/,
  /\s{4}at\s/,
  /orders-test-/,
  /orders-local/,
  /ConditionalCheckFailed|ValidationException|TransactionCanceled|ResourceNotFound|ProvisionedThroughput/,
  /SerializationException|UnrecognizedClient|ThrottlingException|AccessDenied|\$metadata|httpStatusCode/,
  /ExclusiveStartKey|KeyConditionExpression|UpdateExpression|ConditionExpression|GSI\d/,
  /\b(TypeError|RangeError|SyntaxError|ReferenceError|URIError)\b/,
  /Idempotency\w*Error|PersistenceLayer/,
  /node_modules|\/work\/|file:\/\/|\.[cm]?[jt]s:\d+/,
];

const stats = {
  sent: 0,
  throttled: 0,
  unrouted: 0,
  handled: new Map<RouteId, number>(),
  /** How often each constraint was broken by the requests to state-changing routes. */
  broken: new Map<string, number>(),
  statuses: new Map<string, number>(),
  accepted: [] as string[],
};
const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

function describeExchange(route: Route, request: FuzzRequest, response?: FuzzResponse): string {
  const clip = (text: string, length = 300) =>
    text.length > length ? `${text.slice(0, length)}… (${text.length} chars)` : text;
  return JSON.stringify(
    {
      request: `${route.method} ${clip(pathOf(route, request.segments) + request.query)}`,
      caller: request.caller,
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, clip(value, 120)])),
      body: request.body === undefined ? undefined : clip(request.body),
      broken: brokenConstraints(route, request),
      ...(response ? { status: response.status, response: clip(response.text, 500) } : {}),
    },
    null,
    2,
  );
}

async function exchange(request: FuzzRequest): Promise<void> {
  const route = routeList.find((candidate) => candidate.id === request.routeId)!;
  const plan = await pacer.take(methodKey(route.method, route.path), route.apiKeyRequired);
  const headers: Record<string, string> = { ...request.headers };
  if (plan) headers['x-api-key'] = system.apiKey(plan);
  if (request.caller !== 'anonymous') headers.authorization = `Bearer ${tokens[request.caller]}`;
  const response = await send(route.method, pathOf(route, request.segments) + request.query, headers, request.body);
  stats.sent += 1;
  bump(stats.statuses, `${route.id} ${response.status}`);
  if (changesState(route)) for (const reason of brokenConstraints(route, request)) bump(stats.broken, reason);
  const fail = (why: string) => {
    throw new Error(`${why}\n${describeExchange(route, request, response)}`);
  };

  if (response.status >= 500) fail('(a) answered with a 5xx');
  // Every handler response carries the security headers; the gateway's own answers do not.
  if (response.headers['x-content-type-options'] === undefined) {
    let message: string | undefined;
    try {
      message = (JSON.parse(response.text) as { message?: string }).message;
    } catch {
      // not the gateway's JSON: reported below
    }
    if (response.status === 429) {
      stats.throttled += 1;
      return;
    }
    const code = (() => {
      try {
        return (JSON.parse(response.text) as { code?: string }).code;
      } catch {
        return undefined;
      }
    })();
    // A path parameter whose percent-escape cannot be decoded never reaches a route: the gateway answers 400.
    const malformedEscape =
      response.status === 400 && code === 'VALIDATION_FAILED' && Object.values(request.segments).some(undecodable);
    if (
      malformedEscape ||
      (response.status === 404 && code === 'NOT_FOUND' && message === undefined && !reachesRoute(route, request))
    ) {
      stats.unrouted += 1;
      return;
    }
    fail('the gateway answered without invoking the handler, though the request carried a valid key and token');
  }
  bump(stats.handled, route.id);
  if (response.status >= 200 && response.status < 300) {
    stats.accepted.push(`${route.method} ${route.path} ${response.status}`);
    if (changesState(route)) fail('(c) a state-changing route accepted a request that breaks a constraint');
  }
  if (response.status >= 400) {
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith('application/problem+json')) fail('(b) a 4xx that is not problem+json');
    let problem: { code?: unknown; status?: unknown; requestId?: unknown };
    try {
      problem = JSON.parse(response.text) as typeof problem;
    } catch {
      return fail('(b) a problem+json body that is not JSON');
    }
    if (typeof problem.code !== 'string' || problem.code === '') fail('(b) a problem without a code');
    if (problem.status !== response.status) fail('(b) a problem whose status is not the HTTP status');
    if (problem.requestId !== response.headers['x-amzn-requestid']) fail("(b) a problem without the request's id");
    // The API may echo what it was sent (an unknown field's name, say); anything else matching is a leak.
    const sent = JSON.stringify(request);
    for (const pattern of internals) {
      const found = pattern.exec(response.text)?.[0];
      if (found !== undefined && !sent.includes(found)) fail(`(b) the problem gives away internals: ${found}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

describe('fuzzing every route with malformed requests', () => {
  it('starts from valid samples and knows who may call each route', () => {
    for (const route of routeList) {
      const schema = contract[route.id].body;
      expect([route.id, sampleBodies[route.id] !== undefined]).toEqual([route.id, schema !== undefined]);
      if (schema) expect([route.id, schema.safeParse(sampleBodies[route.id]).success]).toEqual([route.id, true]);
      const query = contract[route.id].query;
      if (query) expect([route.id, query.safeParse(sampleQueries[route.id] ?? {}).success]).toEqual([route.id, true]);
      expect([route.id, callersOf(route).length > 0]).toEqual([route.id, true]);
    }
  });

  it(`never answers 5xx, always answers problem+json without internals, accepts nothing state-changing (${numRuns * batchSize} requests, seed ${seed})`, async () => {
    const arbitrary = fc.oneof(
      ...routeList.map((route) => ({ weight: changesState(route) ? 3 : 2, arbitrary: requestArbitrary(route) })),
    );
    const batch = fc.array(arbitrary, { minLength: batchSize, maxLength: batchSize });
    await fc.assert(
      fc.asyncProperty(batch, async (requests) => {
        await Promise.all(requests.map(exchange));
      }),
      { seed, numRuns },
    );
  }, 240_000);

  it('changed nothing: table, idempotency records, events, payments and stock are as before', async () => {
    expect(stats.accepted.filter((line) => !line.startsWith('GET '))).toEqual([]);
    expect(await system.snapshot()).toEqual(before);
    // Handlers run in this process: a polluted prototype would show here.
    expect(Object.keys(Object.prototype)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('reached every handler, and was rarely throttled', () => {
    if (process.env.FUZZ_SUMMARY) {
      console.log(
        JSON.stringify(
          {
            seed,
            sent: stats.sent,
            throttled: stats.throttled,
            unrouted: stats.unrouted,
            handled: Object.fromEntries(stats.handled),
            statuses: Object.fromEntries([...stats.statuses].sort()),
            broken: Object.fromEntries([...stats.broken].sort()),
            accepted: stats.accepted.length,
          },
          null,
          2,
        ),
      );
    }
    expect(stats.sent).toBeGreaterThanOrEqual(numRuns * batchSize);
    expect(stats.throttled / stats.sent).toBeLessThan(0.05);
    for (const route of routeList) {
      expect([route.id, (stats.handled.get(route.id) ?? 0) >= stats.sent / routeList.length / 4]).toEqual([
        route.id,
        true,
      ]);
    }
  });
});

/** One request outside the property, paced like the others and sent by a caller the route admits. */
async function callRoute(
  routeId: RouteId,
  target: string,
  options: { caller?: CallerName; headers?: Record<string, string>; body?: string } = {},
): Promise<FuzzResponse & { json: Record<string, unknown> }> {
  const route = routeList.find((candidate) => candidate.id === routeId)!;
  const caller = options.caller ?? callersOf(route)[0]!;
  const plan = await pacer.take(methodKey(route.method, route.path), route.apiKeyRequired);
  const headers: Record<string, string> = {
    ...(plan ? { 'x-api-key': system.apiKey(plan) } : {}),
    ...(caller === 'anonymous' ? {} : { authorization: `Bearer ${tokens[caller]}` }),
    ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...options.headers,
  };
  const response = await send(route.method, target, headers, options.body);
  return { ...response, json: response.text ? (JSON.parse(response.text) as Record<string, unknown>) : {} };
}

describe('regressions this fuzz found, as fixed examples', () => {
  const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

  it.each([
    ['listProducts', '/products?cursor=', forged({ a: 'b' })],
    ['listOrders', '/orders?cursor=', forged({ PK: 'x', SK: 'y', GSI1PK: 'CUSTOMER#someone-else', GSI1SK: 'z' })],
    ['adminListOrders', '/admin/orders?status=CONFIRMED&cursor=', forged({ shards: '{"0":"abc"}' })],
    ['adminListOrders', '/admin/orders?status=CONFIRMED&cursor=', forged({ shards: '{"0":{"a":"b"}}' })],
  ] as const)('%s refuses a forged cursor with 400, not a DynamoDB error', async (routeId, target, cursor) => {
    const { status, json } = await callRoute(routeId, target + cursor);
    expect([status, json.detail]).toEqual([400, 'invalid cursor']);
  });

  it("refuses a customer's cursor replayed by someone else", async () => {
    const replayed = await callRoute('listOrders', `/orders?cursor=${issuedCursors.listOrders}`, { caller: 'partner' });
    expect([replayed.status, replayed.json.detail]).toEqual([400, 'invalid cursor']);
  });

  it('refuses an inverted date range with 400, and takes one instant written two ways', async () => {
    const inverted = await callRoute(
      'adminListOrders',
      '/admin/orders?status=CONFIRMED&from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z',
    );
    expect(inverted.status).toBe(400);
    const sameInstant = await callRoute(
      'adminListOrders',
      '/admin/orders?status=CONFIRMED&from=2025-01-01T00:00:00Z&to=2025-01-01T00:00:00.000Z',
    );
    expect(sameInstant.status).toBe(200);
  });

  it('refuses a deeply nested body with 400 before the idempotency layer walks it', async () => {
    const { status, json } = await callRoute('placeOrder', '/orders', {
      headers: { 'idempotency-key': 'deeply-nested' },
      body: '['.repeat(5000) + ']'.repeat(5000),
    });
    expect([status, json.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('takes a JSON null as a body, not as no body: cancelling with it is refused', async () => {
    const orderId = ownOrders.alice.find((id) => fixtureStatus.get(id) === 'CONFIRMED')!;
    const { status } = await callRoute('cancelOrder', `/orders/${orderId}/cancel`, { body: 'null' });
    expect(status).toBe(400);
    expect(await system.snapshot()).toEqual(before);
  });
});

describe('gateway regressions: inputs that once crashed the local gateway', () => {
  const get = (target: string, headers: Record<string, string> = {}) => callRoute('listOrders', target, { headers });

  it('a malformed percent-escape in a path parameter is not a 500', async () => {
    expect((await callRoute('getOrder', '/orders/%E0%A4%A')).status).toBeLessThan(500);
  });

  it('a query parameter named like an Object.prototype member is not a 500', async () => {
    expect((await get('/orders?constructor=1')).status).toBeLessThan(500);
  });

  it('a header named like an Object.prototype member is not a 500', async () => {
    expect((await get('/orders', { constructor: '1' })).status).toBeLessThan(500);
  });
});
