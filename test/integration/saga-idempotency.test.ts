import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { orderToItem } from '../../functions/core/adapters/dynamodb/item-mapping';
import type { Order } from '../../functions/core/domain/order';
import { sagaTasks } from '../../statemachines/order-saga';
import { lambdaContext, loadHandler, type LambdaHandler } from '../../local/emulators/lambda-context';
import { projectRoot } from '../../local/runtime/local-runtime';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

/**
 * Express workflows run every step at least once. These tests replay steps by hand after a saga finished and
 * check that the replay changes nothing: not the stock, not the status, not the history.
 */
let system: TestSystem;
let alice: string;
const task: Record<string, LambdaHandler> = {};

beforeAll(async () => {
  system = await startTestSystem();
  alice = await system.tokenFor('alice');
  for (const [placeholder, modulePath] of Object.entries(sagaTasks)) {
    task[placeholder.replace(/FunctionArn$/, '')] = await loadHandler(projectRoot, modulePath);
  }
});

afterAll(async () => {
  await system?.stop();
});

const attentionQueueUrl = () => process.env.ATTENTION_QUEUE_URL!;

const invoke = (name: string, input: Record<string, unknown>) => task[name]!(input, lambdaContext(name));

async function itemsOf(orderId: string) {
  const { Items = [] } = await system.runtime.documentClient.send(
    new QueryCommand({
      TableName: system.runtime.tableName,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': `ORDER#${orderId}` },
      ConsistentRead: true,
    }),
  );
  return Items;
}

async function orderThatEnded(paymentToken: string, productId: string, quantity: number) {
  const placed = await system.call('POST', '/orders', {
    token: alice,
    body: orderRequest({ items: [{ productId, quantity }], paymentToken }),
  });
  const orderId = placed.body.orderId as string;
  await system.waitForTerminal(orderId, alice);
  await system.runtime.drain(10_000);
  return orderId;
}

it('replaying every step of a confirmed order changes nothing', async () => {
  const orderId = await orderThatEnded('pm_card_visa', 'prod_burr_grinder', 2);
  const stock = await system.available('prod_burr_grinder');
  const items = await itemsOf(orderId);

  await expect(invoke('CheckRisk', { orderId })).resolves.toEqual({ approved: true, skipped: 'CONFIRMED' });
  await expect(invoke('ReserveStock', { orderId })).resolves.toEqual({ status: 'CONFIRMED' });
  await expect(invoke('AuthorizePayment', { orderId, paymentToken: 'pm_card_visa' })).resolves.toMatchObject({
    authorizationId: expect.stringMatching(/^pi_/),
  });
  await expect(invoke('ConfirmOrder', { orderId })).resolves.toEqual({ status: 'CONFIRMED' });
  // Compensations refuse to undo a confirmed order.
  await expect(invoke('VoidPayment', { orderId })).resolves.toMatchObject({
    voided: 0,
    refunded: 0,
    skipped: 'CONFIRMED',
  });
  await expect(invoke('ReleaseStock', { orderId })).resolves.toMatchObject({ released: 0, skipped: 'CONFIRMED' });
  await expect(invoke('MarkOrderFailed', { orderId, reason: 'INTERNAL_ERROR' })).resolves.toEqual({
    status: 'CONFIRMED',
  });

  expect(await system.available('prod_burr_grinder')).toBe(stock);
  expect(system.liveAuthorizations(orderId)).toHaveLength(1);
  expect(await itemsOf(orderId)).toEqual(items);
});

it('replaying the compensations of a failed order releases nothing twice', async () => {
  const before = await system.available('prod_burr_grinder');
  const orderId = await orderThatEnded('pm_card_chargeDeclined', 'prod_burr_grinder', 3);
  expect(await system.available('prod_burr_grinder')).toBe(before);
  const items = await itemsOf(orderId);

  await expect(invoke('ReleaseStock', { orderId })).resolves.toEqual({ released: 0 });
  await expect(invoke('VoidPayment', { orderId })).resolves.toEqual({ voided: 0, refunded: 0 });
  await expect(invoke('MarkOrderFailed', { orderId, reason: 'PAYMENT_DECLINED' })).resolves.toEqual({
    status: 'FAILED',
    failureReason: 'PAYMENT_DECLINED',
  });
  await expect(invoke('ReserveStock', { orderId })).rejects.toMatchObject({ name: 'OrderStateConflictError' });
  expect(await itemsOf(orderId)).toEqual(items);

  // The last resort, twice: one flag (the first reason stays), a queue message per call (redrive is idempotent).
  await expect(invoke('FlagForAttention', { orderId, reason: 'replay test' })).resolves.toEqual({ flagged: true });
  await expect(invoke('FlagForAttention', { orderId, reason: 'replay test' })).resolves.toEqual({ flagged: true });
  const flagged = (await itemsOf(orderId)).find((item) => item.SK === 'ORDER');
  expect(flagged?.attention).toMatchObject({ reason: 'replay test' });
  expect(
    system.runtime.aws
      .queueMessages(attentionQueueUrl())
      .filter((m) => (m.body as { orderId: string }).orderId === orderId),
  ).toHaveLength(2);

  expect(await system.available('prod_burr_grinder')).toBe(before);
});

it('records every transition of an order in its history, in order', async () => {
  const orderId = await orderThatEnded('pm_card_visa', 'prod_paper_filters', 1);
  const history = (await itemsOf(orderId)).filter((item) => (item.SK as string).startsWith('HISTORY#'));
  expect(history.map((entry) => entry.status)).toEqual(['PENDING', 'RESERVED', 'AUTHORIZED', 'CONFIRMED']);
  const holds = (await itemsOf(orderId)).filter((item) => (item.SK as string).startsWith('HOLD#'));
  expect(holds).toEqual([expect.objectContaining({ productId: 'prod_paper_filters', quantity: 1 })]);
});

it('rejects a malformed task input without touching anything', async () => {
  await expect(invoke('ReserveStock', { orderId: '../../etc' })).rejects.toMatchObject({ name: 'ValidationError' });
  await expect(invoke('MarkOrderFailed', { orderId: 'ord_x', reason: 'BECAUSE' })).rejects.toMatchObject({
    name: 'ValidationError',
  });
});

/**
 * An order half way through the saga, built by hand so that no execution runs: stored PENDING, then taken to
 * AUTHORIZED by the forward steps, so it holds stock and a live authorization for the compensations to give back.
 */
async function authorizedOrder(orderId: string, productId: string, quantity: number): Promise<void> {
  const unitPrice = { amount: 590, currency: 'EUR' };
  const now = new Date().toISOString();
  const order: Order = {
    orderId,
    customerId: 'replay-customer',
    status: 'PENDING',
    items: [
      { productId, name: productId, quantity, unitPrice, lineTotal: { amount: 590 * quantity, currency: 'EUR' } },
    ],
    total: { amount: 590 * quantity, currency: 'EUR' },
    createdAt: now,
    updatedAt: now,
    version: 1,
    paymentMethod: 'pm_card_visa',
  };
  await system.runtime.documentClient.send(
    new PutCommand({ TableName: system.runtime.tableName, Item: orderToItem(order) }),
  );
  await invoke('CheckRisk', { orderId });
  await invoke('ReserveStock', { orderId });
  await invoke('AuthorizePayment', { orderId, paymentToken: 'pm_card_visa' });
  expect((await itemsOf(orderId)).find((item) => item.SK === 'ORDER')?.status).toBe('AUTHORIZED');
  expect(system.liveAuthorizations(orderId)).toHaveLength(1);
}

const compensations = (orderId: string) =>
  [
    // As the saga passes them: the first compensation records the failure decision on the order.
    ['VoidPayment', { orderId, reason: 'INTERNAL_ERROR' }],
    ['ReleaseStock', { orderId, reason: 'INTERNAL_ERROR' }],
    ['MarkOrderFailed', { orderId, reason: 'INTERNAL_ERROR' }],
    ['FlagForAttention', { orderId, reason: 'replay test' }],
  ] as const;

async function expectCompensatedOnce(orderId: string, productId: string, stockBefore: number) {
  expect(await system.available(productId)).toBe(stockBefore);
  expect(system.runtime.payments.paymentIntents().filter((payment) => payment.metadata.orderId === orderId)).toEqual([
    expect.objectContaining({ status: 'canceled' }),
  ]);
  const items = await itemsOf(orderId);
  expect(items.filter((item) => (item.SK as string).startsWith('HOLD#'))).toEqual([]);
  const history = items.filter((item) => (item.SK as string).startsWith('HISTORY#')).map((item) => item.status);
  expect(history).toEqual(['RESERVED', 'AUTHORIZED', 'FAILED']);
  const order = items.find((item) => item.SK === 'ORDER');
  expect(order).toMatchObject({
    status: 'FAILED',
    failureReason: 'INTERNAL_ERROR',
    attention: { reason: 'replay test' },
  });
  expect(
    system.runtime.aws
      .queueMessages(attentionQueueUrl())
      .filter((m) => (m.body as { orderId: string }).orderId === orderId),
  ).toHaveLength(2);
}

it('runs every compensation twice on an order holding stock and money: each takes effect once', async () => {
  const orderId = 'ord_replay_compensations_sequential';
  const before = await system.available('prod_paper_filters');
  await authorizedOrder(orderId, 'prod_paper_filters', 3);
  expect(await system.available('prod_paper_filters')).toBe(before - 3);

  const results: Record<string, unknown[]> = {};
  for (const [name, input] of compensations(orderId)) {
    results[name] = [await invoke(name, input), await invoke(name, input)];
  }
  expect(results).toEqual({
    VoidPayment: [
      { voided: 1, refunded: 0 },
      { voided: 0, refunded: 0 },
    ],
    ReleaseStock: [{ released: 3 }, { released: 0 }],
    MarkOrderFailed: [
      { status: 'FAILED', failureReason: 'INTERNAL_ERROR' },
      { status: 'FAILED', failureReason: 'INTERNAL_ERROR' },
    ],
    FlagForAttention: [{ flagged: true }, { flagged: true }],
  });
  await expectCompensatedOnce(orderId, 'prod_paper_filters', before);
});

it('runs every compensation twice at the same time (overlapping at-least-once deliveries): each takes effect once', async () => {
  const orderId = 'ord_replay_compensations_concurrent';
  const before = await system.available('prod_paper_filters');
  await authorizedOrder(orderId, 'prod_paper_filters', 2);

  let released = 0;
  for (const [name, input] of compensations(orderId)) {
    const pair = (await Promise.all([invoke(name, input), invoke(name, input)])) as Record<string, unknown>[];
    // Both voids may see the authorization live and send the same idempotent void: the provider state below is
    // what counts. Released units are exact: each line's release is one conditional transaction.
    if (name === 'ReleaseStock') released = pair.reduce((sum, result) => sum + (result.released as number), 0);
    if (name === 'MarkOrderFailed') {
      expect(pair).toEqual([
        { status: 'FAILED', failureReason: 'INTERNAL_ERROR' },
        { status: 'FAILED', failureReason: 'INTERNAL_ERROR' },
      ]);
    }
  }
  expect(released).toBe(2);
  await expectCompensatedOnce(orderId, 'prod_paper_filters', before);
});
