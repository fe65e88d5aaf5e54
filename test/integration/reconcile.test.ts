import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Stripe from 'stripe';
import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { orderToItem } from '../../functions/core/adapters/dynamodb/item-mapping';
import { keys } from '../../functions/core/data/table-design';
import { lambdaContext, loadHandler } from '../../local/emulators/lambda-context';
import { reconcileLocal } from '../../local/commands/lib/reconciliation';
import { localWebhookSecret, projectRoot } from '../../local/runtime/local-runtime';
import { writeRuntimeFile } from '../../local/runtime/runtime-file';
import { oneUnitOrder, orderRequest } from '../helpers/fixtures';
import { startTestSystem, type TestSystem } from '../helpers/local-system';

/**
 * The reconciliation job on a real system: real orders of every outcome leave no violation; then each kind of
 * damage is done to the table or the payment provider directly, the way a bug or a hand edit would, and the report
 * must name exactly that invariant and those ids. Each case then repairs the damage as the runbook says and checks
 * that the system reconciles again, so the cases stay independent.
 */
let system: TestSystem;
let alice: string;
let admin: string;
let directory: string;
const orders: Record<string, string> = {};

beforeAll(async () => {
  // The Lambda handler reads its settings at cold start: no wait before its confirming pass in tests.
  process.env.RECONCILE_CONFIRM_DELAY_MS = '0';
  system = await startTestSystem();
  [alice, admin] = await Promise.all([system.tokenFor('alice'), system.tokenFor('admin', ['admins'])]);
  directory = await mkdtemp(join(tmpdir(), 'reconcile-'));
}, 30_000);

afterAll(async () => {
  delete process.env.RECONCILE_CONFIRM_DELAY_MS;
  await system?.stop();
  if (directory) await rm(directory, { recursive: true, force: true });
});

const table = () => ({ TableName: system.runtime.tableName });
const db = () => system.runtime.documentClient;

async function place(productId: string, quantity: number, paymentToken = 'pm_card_visa') {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items: [{ productId, quantity }], paymentToken }),
  });
  expect(placed.status).toBe(202);
  const order = await system.waitForTerminal(placed.body.orderId as string, alice);
  return { orderId: order.orderId as string, status: order.status as string };
}

async function violations() {
  const report = await reconcileLocal(system.runtime);
  return report.violations.map(({ invariant, rule, ids }) => ({ invariant, rule, ids }));
}

function authorizationOf(orderId: string) {
  const found = system.runtime.payments.paymentIntents().find((a) => a.metadata.orderId === orderId);
  if (!found) throw new Error(`no payment for ${orderId}`);
  return found;
}

/** The Stripe sandbox through the official SDK, as someone in Stripe's dashboard (or a buggy client) would use it. */
function provider() {
  const url = new URL(system.runtime.payments.url);
  return new Stripe(system.runtime.payments.apiKey, {
    host: url.hostname,
    port: url.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    telemetry: false,
  });
}

async function runCompensation(handler: string, orderId: string) {
  const invoke = await loadHandler(projectRoot, handler);
  return invoke({ orderId }, lambdaContext(handler));
}

async function runScript(runtimeFile: string) {
  const tsx = join(projectRoot, 'node_modules', '.bin', 'tsx');
  try {
    const { stdout } = await promisify(execFile)(tsx, ['local/commands/reconcile.ts', '--runtime-file', runtimeFile], {
      cwd: projectRoot,
      env: { ...process.env, RECONCILE_CONFIRM_DELAY_MS: '0' },
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code, stdout: failed.stdout ?? '' };
  }
}

describe('reconciliation', () => {
  it('finds no violation after real orders of every outcome', async () => {
    const restock = await system.call('POST', '/products/prod_paper_filters/stock', {
      token: admin,
      body: { delta: 20, reason: 'delivery 0815' },
    });
    expect(restock.status).toBe(200);
    const placed = await Promise.all([
      place('prod_espresso_beans', 1),
      place('prod_espresso_beans', 1, 'pm_card_chargeDeclined'),
      place('prod_limited_mug', 4),
      place('prod_espresso_beans', 1, 'pm_card_sandbox_timeout'),
      place('prod_pour_over_kettle', 1),
      place('prod_burr_grinder', 2),
      place('prod_paper_filters', 2),
      place('prod_pour_over_kettle', 1),
      place('prod_espresso_beans', 2),
    ]);
    expect(placed.map((order) => order.status)).toEqual([
      'CONFIRMED',
      'FAILED',
      'FAILED',
      'FAILED',
      'CONFIRMED',
      'CONFIRMED',
      'CONFIRMED',
      'CONFIRMED',
      'CONFIRMED',
    ]);
    const roles = [
      'confirmed',
      'declined',
      'outOfStock',
      'timedOut',
      'cancelled',
      'fulfilled',
      'keptHolds',
      'lostHold',
      'lostAuthorization',
    ];
    roles.forEach((role, index) => (orders[role] = placed[index]!.orderId));
    expect((await system.call('POST', `/orders/${orders.cancelled}/cancel`, { token: alice })).status).toBe(200);
    expect((await system.call('POST', `/admin/orders/${orders.fulfilled}/fulfill`, { token: admin })).status).toBe(200);
    expect(await system.runtime.drain(10_000)).toBe(true);
    // The timed-out payment was authorized, then voided by the saga's compensation: a provider record to check.
    expect(authorizationOf(orders.timedOut!).status).toBe('canceled');

    const report = await reconcileLocal(system.runtime);
    expect(report.violations).toEqual([]);
    expect(report.attention).toEqual([]);
    expect(report.counts).toMatchObject({
      orders: 9,
      ordersByStatus: { CONFIRMED: 4, FAILED: 3, CANCELLED: 1, FULFILLED: 1 },
      // The confirmed orders' holds (one line each); the cancelled and fulfilled orders' holds are gone.
      holds: 4,
      // Declined and out-of-stock orders never reached the provider; the timed-out one left a voided record.
      payments: 7,
      violations: 0,
    });
    expect(report.counts.products).toBeGreaterThanOrEqual(5);
    expect(report.counts.movements).toBe(report.counts.products + 1);

    // The deployed Lambda handler, run in-process, reports the same.
    const handler = await loadHandler(projectRoot, 'functions/jobs/reconcile.ts');
    const fromHandler = (await handler({}, lambdaContext('reconcile'))) as typeof report & { truncated: number };
    expect(fromHandler.violations).toEqual([]);
    expect(fromHandler.truncated).toBe(0);
    expect(fromHandler.counts).toEqual(report.counts);

    // And `npm run reconcile` against this system, through a runtime file.
    const runtimeFile = join(directory, 'runtime.json');
    await writeRuntimeFile(system.runtime, runtimeFile);
    const script = await runScript(runtimeFile);
    expect(script.stdout).toContain('No violations: every invariant holds.');
    expect(script.code).toBe(0);
  }, 60_000);

  it('(1) stock-balance: names a product whose shelf count was edited without a stock movement', async () => {
    const bump = (delta: number) =>
      db().send(
        new UpdateCommand({
          ...table(),
          Key: keys.product('prod_paper_filters'),
          UpdateExpression: 'ADD available :delta',
          ExpressionAttributeValues: { ':delta': delta },
        }),
      );
    await bump(5);
    expect(await violations()).toEqual([
      { invariant: 'stock-balance', rule: 'unbalanced', ids: ['prod_paper_filters'] },
    ]);

    // `npm run reconcile` prints it and exits 1.
    const script = await runScript(join(directory, 'runtime.json'));
    expect(script.code).toBe(1);
    expect(script.stdout).toContain('[stock-balance] unbalanced  prod_paper_filters');

    await bump(-5);
    expect(await violations()).toEqual([]);
  }, 30_000);

  it('(2) hold-status: names a failed order that kept its stock (failed without ReleaseStock)', async () => {
    const orderId = orders.keptHolds!;
    await provider().paymentIntents.cancel(authorizationOf(orderId).id);
    await db().send(
      new UpdateCommand({
        ...table(),
        Key: keys.order(orderId),
        UpdateExpression: 'SET #status = :failed, failureReason = :reason',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'FAILED', ':reason': 'INTERNAL_ERROR' },
      }),
    );
    expect(await violations()).toEqual([
      { invariant: 'hold-status', rule: 'hold-on-settled-order', ids: [orderId, 'prod_paper_filters'] },
    ]);

    // The runbook's repair: run the release-stock compensation for the order (idempotent).
    expect(await runCompensation('functions/saga/release-stock.ts', orderId)).toMatchObject({ released: 2 });
    expect(await violations()).toEqual([]);
  });

  it('(2) hold-status: names a confirmed order whose hold was released behind its back', async () => {
    const orderId = orders.lostHold!;
    const product = 'prod_pour_over_kettle';
    // What a faulty expired-hold sweeper would do: release the hold of an order that still needs it.
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          { Delete: { ...table(), Key: keys.hold(orderId, product), ConditionExpression: 'attribute_exists(PK)' } },
          {
            Update: {
              ...table(),
              Key: keys.product(product),
              UpdateExpression: 'ADD available :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
    expect(await violations()).toEqual([
      { invariant: 'hold-status', rule: 'holds-do-not-match-lines', ids: [orderId, product] },
    ]);

    // The runbook's repair while the shelf still has the unit: take it back into a hold, in one transaction.
    await db().send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              ...table(),
              Key: keys.product(product),
              UpdateExpression: 'SET available = available - :one',
              ConditionExpression: 'available >= :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
          {
            Put: {
              ...table(),
              Item: { ...keys.hold(orderId, product), entity: 'hold', orderId, productId: product, quantity: 1 },
              ConditionExpression: 'attribute_not_exists(PK)',
            },
          },
        ],
      }),
    );
    expect(await violations()).toEqual([]);
  });

  it('(3) payment-status: names money authorized for a failed order', async () => {
    const orderId = orders.declined!;
    const { Item } = await db().send(new GetCommand({ ...table(), Key: keys.order(orderId), ConsistentRead: true }));
    const total = Item!.total as { amount: number; currency: string };
    // Without the webhook, which would release it at once (the order failed) and race the reconciliation.
    system.runtime.payments.setWebhookEndpoint(undefined);
    const authorization = await provider().paymentIntents.create({
      amount: total.amount,
      currency: total.currency.toLowerCase(),
      payment_method: 'pm_card_visa',
      confirm: true,
      capture_method: 'manual',
      metadata: { orderId },
    });
    expect(await violations()).toEqual([
      { invariant: 'payment-status', rule: 'unexpected-authorization', ids: [orderId, authorization.id] },
    ]);

    // The runbook's repair: void the authorization at the provider.
    await provider().paymentIntents.cancel(authorization.id);
    system.runtime.payments.setWebhookEndpoint({
      url: `${system.runtime.apiUrl}/webhooks/stripe`,
      secret: localWebhookSecret,
    });
    expect(await violations()).toEqual([]);
  });

  it('(3) payment-status: names a confirmed order whose authorization was voided at the provider', async () => {
    const orderId = orders.lostAuthorization!;
    const authorization = authorizationOf(orderId);
    await provider().paymentIntents.cancel(authorization.id);
    expect(await violations()).toEqual([
      { invariant: 'payment-status', rule: 'missing-authorization', ids: [orderId, authorization.id] },
    ]);

    // The runbook's repair when the customer cannot be asked to pay again: cancel the order (stock goes back).
    expect((await system.call('POST', `/orders/${orderId}/cancel`, { token: alice })).status).toBe(200);
    expect(await system.runtime.drain(10_000)).toBe(true);
    expect(await violations()).toEqual([]);
  });

  it('(4) order-progress: names an order stuck in flight, and lists it apart once flagged for attention', async () => {
    const createdAt = new Date(Date.now() - 60 * 60_000).toISOString();
    const stuck = oneUnitOrder({
      orderId: 'ord_stuck_reconcile_test',
      customerId: 'alice',
      status: 'PENDING',
      product: { productId: 'prod_espresso_beans', name: 'Espresso beans, 1 kg', price: 2490 },
      createdAt,
    });
    // An order whose saga died and was never restarted (no payment method to restart it with).
    await db().send(new PutCommand({ ...table(), Item: orderToItem(stuck) }));
    expect(await violations()).toEqual([
      { invariant: 'order-progress', rule: 'stuck-order', ids: ['ord_stuck_reconcile_test'] },
    ]);

    await db().send(
      new UpdateCommand({
        ...table(),
        Key: keys.order(stuck.orderId),
        UpdateExpression: 'SET attention = :attention',
        ExpressionAttributeValues: { ':attention': { reason: 'saga lost', at: new Date().toISOString() } },
      }),
    );
    const report = await reconcileLocal(system.runtime);
    expect(report.violations).toEqual([]);
    expect(report.attention).toEqual([
      {
        orderId: 'ord_stuck_reconcile_test',
        status: 'PENDING',
        attention: expect.stringContaining('saga lost'),
        findings: [expect.objectContaining({ invariant: 'order-progress', rule: 'stuck-order' })],
      },
    ]);

    await db().send(new DeleteCommand({ ...table(), Key: keys.order(stuck.orderId) }));
    expect(await violations()).toEqual([]);
  });
});
