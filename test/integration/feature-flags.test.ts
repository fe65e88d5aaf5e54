import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { featureFlagsDocument } from '../../functions/core/config/feature-flags';
import type { Product } from '../../functions/core/domain/product';
import { demoCatalog } from '../../local/runtime/seed-data';
import { projectRoot } from '../../local/runtime/local-runtime';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

/**
 * The flags file is re-read while the system runs: each change below takes effect at the next request, with the
 * same handlers and the same function instances (no restart in between).
 */

const beans = 'prod_espresso_beans';
// Two of these exceed the dev environment's risk limit (1,000,000 minor units per order).
const espressoMachine: Product = {
  productId: 'prod_espresso_machine',
  name: 'Dual-boiler espresso machine',
  description: 'A machine whose price alone trips the order total limit when two are ordered',
  price: { amount: 600_000, currency: 'EUR' },
  active: true,
  available: 50,
  sold: 0,
  version: 1,
};

type FlagValues = Record<string, Record<string, unknown>>;
const checkedIn = JSON.parse(fs.readFileSync(path.join(projectRoot, featureFlagsDocument), 'utf8')) as {
  values: FlagValues;
};

let directory: string;
let flagsFile: string;
let system: TestSystem;
let alice: string;

/** Replaces the flags file as editors do (write, then rename over it), with `changes` over the checked-in values. */
function setFlags(changes: FlagValues): void {
  const values = { ...checkedIn.values, ...changes };
  const temporary = `${flagsFile}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify({ ...checkedIn, values }, null, 2));
  fs.renameSync(temporary, flagsFile);
}

function placeOrder(items: { productId: string; quantity: number }[], headers: Record<string, string> = {}) {
  return system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items, paymentToken: 'pm_card_visa' }),
    headers,
  });
}

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), 'orders-flags-'));
  flagsFile = path.join(directory, 'feature-flags.json');
  setFlags({});
  system = await startTestSystem({ featureFlagsFile: flagsFile, seedCatalog: [...demoCatalog, espressoMachine] });
  alice = await system.tokenFor('alice');
});

afterAll(async () => {
  await system?.stop();
  if (directory) fs.rmSync(directory, { recursive: true, force: true });
});

afterEach(() => setFlags({}));

describe('maxItemsPerOrder', () => {
  it('refuses the next order above a lowered limit with 422 and writes nothing, then accepts it once raised', async () => {
    const items = [
      { productId: beans, quantity: 2 },
      { productId: 'prod_paper_filters', quantity: 1 },
    ];
    const accepted = await placeOrder(items);
    expect(accepted.status).toBe(202);

    setFlags({ maxItemsPerOrder: { enabled: true, limit: 2 } });
    const before = await system.snapshot();
    const refused = await placeOrder(items, { 'idempotency-key': 'flags-limit-1' });
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.body).toMatchObject({
      status: 422,
      code: 'TOO_MANY_ITEMS',
      detail: 'the order holds 3 items; at most 2 are allowed per order',
    });
    // No order, no stock hold, no event, no payment, and no stored idempotent response.
    expect(await system.snapshot()).toEqual(before);

    setFlags({ maxItemsPerOrder: { enabled: true, limit: 3 } });
    const retried = await placeOrder(items, { 'idempotency-key': 'flags-limit-1' });
    expect(retried.status).toBe(202);
    const final = await system.waitForTerminal(retried.body.orderId as string, alice);
    expect(final.status).toBe('CONFIRMED');
  });

  it('takes the safe default (the API limits only) when the flag in the file is malformed', async () => {
    setFlags({ maxItemsPerOrder: { enabled: true, limit: 1 } });
    expect((await placeOrder([{ productId: beans, quantity: 2 }])).status).toBe(422);
    setFlags({ maxItemsPerOrder: { enabled: true, limit: 'one' } });
    expect((await placeOrder([{ productId: beans, quantity: 2 }])).status).toBe(202);
  });

  it('keeps serving with the last good flags while the file is not valid JSON', async () => {
    setFlags({ maxItemsPerOrder: { enabled: true, limit: 1 } });
    expect((await placeOrder([{ productId: beans, quantity: 2 }])).status).toBe(422);
    fs.writeFileSync(flagsFile, '{"version": "1", "values": {');
    expect((await placeOrder([{ productId: beans, quantity: 2 }])).status).toBe(422);
  });
});

describe('acceptingOrders', () => {
  it('answers 503 with its Retry-After while off, writing nothing, and accepts orders again when on', async () => {
    setFlags({ acceptingOrders: { enabled: false, retryAfterSeconds: 90 } });
    const before = await system.snapshot();
    const paused = await placeOrder([{ productId: beans, quantity: 1 }]);
    expect(paused.status).toBe(503);
    expect(paused.headers.get('retry-after')).toBe('90');
    expect(paused.body).toMatchObject({ status: 503, code: 'ORDERS_PAUSED' });
    expect(await system.snapshot()).toEqual(before);

    setFlags({ acceptingOrders: { enabled: true, retryAfterSeconds: 90 } });
    expect((await placeOrder([{ productId: beans, quantity: 1 }])).status).toBe(202);
  });
});

describe('riskCheck', () => {
  it('fails an order above the risk limit while on, and confirms the same order while off', async () => {
    const expensive = [{ productId: espressoMachine.productId, quantity: 2 }];
    const checked = await placeOrder(expensive);
    expect(checked.status).toBe(202);
    expect(await system.waitForTerminal(checked.body.orderId as string, alice)).toMatchObject({
      status: 'FAILED',
      failureReason: 'RISK_REJECTED',
    });
    // This system loads no fraud model (test/helpers/local-system.ts): the static rules decided, and say so.
    const admin = await system.tokenFor('flags-admin', ['admins']);
    const seen = await system.call('GET', `/admin/orders/${checked.body.orderId as string}`, { token: admin });
    expect(seen.body.risk).toEqual({
      decision: 'reject',
      source: 'rules',
      reasons: ['order total 1200000 EUR exceeds the limit of 1000000'],
      at: expect.any(String),
    });

    setFlags({ riskCheck: { enabled: false } });
    const unchecked = await placeOrder(expensive);
    expect(unchecked.status).toBe(202);
    const final = await system.waitForTerminal(unchecked.body.orderId as string, alice);
    expect(final).toMatchObject({ status: 'CONFIRMED', total: { amount: 1_200_000, currency: 'EUR' } });
    expect(final).not.toHaveProperty('failureReason');
  });
});
