import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrderStore } from '../../functions/core/adapters/dynamodb/order-store';
import { transitionWrites } from '../../functions/core/adapters/dynamodb/order-transition';
import { keys, ordersTableDesign } from '../../functions/core/data/table-design';
import type { Order, OrderStatus, RiskRecord } from '../../functions/core/domain/order';
import type { TransitionChanges } from '../../functions/core/domain/ports';
import { benchContactEmail, benchShippingAddress } from '../../bench/lib/order-body';
import { ensureTable } from '../../local/runtime/ensure-table';
import { oneUnitOrder } from '../helpers/fixtures';
import { localDynamoDbClients } from '../helpers/local-dynamodb';

/**
 * The order item's size on DynamoDB Local, which bills a write a unit per KB (double in a transaction): a one-line
 * order carrying its risk decision stays within 1 KB through every saga step, and what the item leaves out (the
 * owner, kept in the customer index's key; the lines' totals; the names of the risk features' fields) reads back whole.
 */

const { client, documentClient } = localDynamoDbClients();

/** As `POST /orders` stores a one-line order (the benchmarks' body: bench/lib/order-body.ts). */
function placed(): Order {
  return {
    ...oneUnitOrder({
      orderId: 'ord_01KBQ8ZV4J3M6W2R8T5N7X9ABC',
      customerId: '3f2b8c4e-5d6a-4b7c-8e9f-0a1b2c3d4e5f',
      status: 'PENDING',
      product: { productId: 'prod_espresso_beans', name: 'Espresso beans', price: 1450 },
      createdAt: '2026-12-04T10:00:00.000Z',
      paymentMethod: 'pm_card_visa',
    }),
    shippingAddress: benchShippingAddress,
    contactEmail: benchContactEmail,
    correlationId: '9c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e',
  };
}

/** What CheckRisk records when the model decides: three features, each with its value and contribution. */
const modelDecision: RiskRecord = {
  decision: 'approve',
  source: 'model',
  modelVersion: 'risk-lr-1',
  score: 0.0279,
  topFeatures: [
    { feature: 'accountAgeDays', value: 0, contribution: 1.884 },
    { feature: 'newPaymentMethod', value: 1, contribution: 1.448 },
    { feature: 'priorOrders', value: 0, contribution: 0.835 },
  ],
  at: '2026-12-04T10:00:00.120Z',
};

async function freshStore() {
  const tableName = `order-item-size-${randomUUID()}`;
  await ensureTable(client, ordersTableDesign, tableName);
  return { tableName, store: new DynamoDbOrderStore(documentClient, tableName) };
}

describe('the order item', () => {
  it('stays within 1 KB through the saga: each transition bills the order one unit, doubled in its transaction', async () => {
    const { tableName, store } = await freshStore();
    const order = placed();
    await store.create(order);
    expect(await store.recordRisk(order.orderId, modelDecision)).toBe(true);
    let current = (await store.get(order.orderId))!;

    const steps: [OrderStatus, TransitionChanges][] = [
      ['RESERVED', {}],
      ['AUTHORIZED', { paymentAuthorizationId: 'pi_3QhZ8cLkdIwHu7ix0Q1bqJ5s' }],
      ['CONFIRMED', {}],
    ];
    for (const [to, changes] of steps) {
      const { writes, next } = transitionWrites(tableName, current, to, changes, new Date().toISOString());
      const { ConsumedCapacity = [] } = await documentClient.send(
        new TransactWriteCommand({ TransactItems: [writes[0]!], ReturnConsumedCapacity: 'INDEXES' }),
      );
      expect({ to, units: ConsumedCapacity[0]?.Table?.CapacityUnits }).toEqual({ to, units: 2 });
      current = next;
    }
    expect(await store.get(order.orderId)).toEqual({
      ...order,
      status: 'CONFIRMED',
      updatedAt: current.updatedAt,
      version: current.version,
      risk: modelDecision,
      paymentAuthorizationId: 'pi_3QhZ8cLkdIwHu7ix0Q1bqJ5s',
    });
  });

  it('keeps the owner in the index key only, no line totals and the risk features as triples, and reads them back', async () => {
    const { tableName, store } = await freshStore();
    const order = placed();
    await store.create(order);
    await store.recordRisk(order.orderId, modelDecision);
    const { Item } = await documentClient.send(
      new GetCommand({ TableName: tableName, Key: keys.order(order.orderId) }),
    );
    expect(Item).not.toHaveProperty('customerId');
    expect(Item!.items).toEqual(order.items.map(({ lineTotal: _computed, ...line }) => line));
    expect(Item).toMatchObject({
      GSI1PK: keys.customerPartition(order.customerId),
      risk: {
        topFeatures: [
          ['accountAgeDays', 0, 1.884],
          ['newPaymentMethod', 1, 1.448],
          ['priorOrders', 0, 0.835],
        ],
      },
    });
    expect(await store.get(order.orderId)).toEqual({ ...order, version: 2, risk: modelDecision });
    // The customer's listing and CheckRisk's history find it under its owner.
    expect((await store.listForCustomer(order.customerId, { limit: 5 })).orders).toEqual([
      { ...order, version: 2, risk: modelDecision },
    ]);
  });

  it('reads items written before, with the owner, the line totals and the risk features as maps, as they were', async () => {
    const { tableName, store } = await freshStore();
    const order = { ...placed(), version: 2, risk: modelDecision };
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.order(order.orderId),
          entity: 'order',
          GSI1PK: keys.customerPartition(order.customerId),
          GSI1SK: `${order.createdAt}#${order.orderId}`,
          ...order,
        },
      }),
    );
    expect(await store.get(order.orderId)).toEqual(order);
  });
});
