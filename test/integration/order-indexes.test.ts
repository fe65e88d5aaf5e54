import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrderStore } from '../../functions/core/adapters/dynamodb/order-store';
import { transitionWrites } from '../../functions/core/adapters/dynamodb/order-transition';
import { ordersTableDesign } from '../../functions/core/data/table-design';
import type { Order } from '../../functions/core/domain/order';
import { ensureTable } from '../../local/runtime/ensure-table';
import { oneUnitOrder } from '../helpers/fixtures';
import { localDynamoDbClients } from '../helpers/local-dynamodb';

/**
 * The orders table's narrow index projections on DynamoDB Local (docs/access-patterns.md): listings read the items
 * behind the index and filter there, CheckRisk's history reads the index alone, and the saga's in-flight steps write
 * no index entry at all.
 */

const { client, documentClient } = localDynamoDbClients();

const address = { name: 'Ada', line1: '1 High Street', city: 'London', postalCode: 'SW1A 1AA', country: 'GB' };

function order(orderId: string, customerId: string, createdAt: string, status: Order['status'] = 'PENDING'): Order {
  return {
    ...oneUnitOrder({
      orderId,
      customerId,
      status,
      product: { productId: 'prod_index', name: 'Index product', price: 700 },
      createdAt,
      paymentMethod: `pm_${orderId}`,
    }),
    shippingAddress: address,
    contactEmail: 'ada@example.com',
  };
}

async function freshStore() {
  const tableName = `order-indexes-${randomUUID()}`;
  await ensureTable(client, ordersTableDesign, tableName);
  return { tableName, store: new DynamoDbOrderStore(documentClient, tableName) };
}

describe('order indexes with narrow projections', () => {
  it("reads a customer's earlier orders from the index: theirs only, placed before, newest first, capped", async () => {
    const { store } = await freshStore();
    const placed = ['01', '02', '03', '04'].map((day) => order(`ord_a${day}`, 'alice', `2026-11-${day}T10:00:00.000Z`));
    const later = order('ord_a09', 'alice', '2026-11-09T10:00:00.000Z');
    const someoneElse = order('ord_b03', 'bob', '2026-11-03T11:00:00.000Z');
    for (const each of [...placed, later, someoneElse]) await store.create(each);
    // Status changes after placement do not matter to what the history returns.
    await store.transition(placed[1]!, 'RESERVED');

    const current = placed[3]!;
    const earlier = await store.earlierOrders(current, 2);
    expect(earlier).toEqual(
      [placed[2]!, placed[1]!].map((past) => ({
        orderId: past.orderId,
        createdAt: past.createdAt,
        total: past.total,
        paymentMethod: past.paymentMethod,
        shippingAddress: address,
      })),
    );
    expect((await store.earlierOrders(current, 50)).map((past) => past.orderId)).toEqual([
      'ord_a03',
      'ord_a02',
      'ord_a01',
    ]);
  });

  it('lists by status through the items behind the index, in-flight statuses sharing one partition', async () => {
    const { store } = await freshStore();
    const pending = order('ord_pending', 'carol', '2026-11-01T10:00:00.000Z');
    const reserved = order('ord_reserved', 'carol', '2026-11-02T10:00:00.000Z');
    const confirmed = order('ord_confirmed', 'carol', '2026-11-03T10:00:00.000Z');
    for (const each of [pending, reserved, confirmed]) await store.create(each);
    await store.transition(reserved, 'RESERVED');
    let moved = await store.transition(confirmed, 'RESERVED');
    moved = await store.transition(moved, 'AUTHORIZED');
    await store.transition(moved, 'CONFIRMED');

    const ids = async (status: Order['status']) =>
      (await store.listByStatus(status, { limit: 10 })).orders.map((listed) => listed.orderId);
    expect(await ids('PENDING')).toEqual(['ord_pending']);
    expect(await ids('RESERVED')).toEqual(['ord_reserved']);
    expect(await ids('AUTHORIZED')).toEqual([]);
    expect(await ids('CONFIRMED')).toEqual(['ord_confirmed']);

    // The customer's listing returns whole orders (the index holds none of them) and filters on their status.
    const listed = await store.listForCustomer('carol', { limit: 10 });
    expect(listed.orders.map((each) => [each.orderId, each.status])).toEqual([
      ['ord_confirmed', 'CONFIRMED'],
      ['ord_reserved', 'RESERVED'],
      ['ord_pending', 'PENDING'],
    ]);
    expect(listed.orders[0]).toMatchObject({ items: confirmed.items, shippingAddress: address, version: 4 });
    const onlyReserved = await store.listForCustomer('carol', { limit: 10, status: 'RESERVED' });
    expect(onlyReserved.orders.map((each) => each.orderId)).toEqual(['ord_reserved']);
  });

  it('writes no index entry while the saga moves an order between in-flight statuses', async () => {
    const { tableName, store } = await freshStore();
    const placed = order('ord_capacity', 'dave', '2026-11-05T10:00:00.000Z');
    await store.create(placed);
    const indexUnits = async (from: Order, to: Order['status']) => {
      const { writes, next } = transitionWrites(tableName, from, to, {}, new Date().toISOString());
      const { ConsumedCapacity = [] } = await documentClient.send(
        new TransactWriteCommand({ TransactItems: writes, ReturnConsumedCapacity: 'INDEXES' }),
      );
      const indexes = ConsumedCapacity.flatMap((capacity) => Object.values(capacity.GlobalSecondaryIndexes ?? {}));
      return { next, units: indexes.reduce((sum, index) => sum + (index.CapacityUnits ?? 0), 0) };
    };
    const reserved = await indexUnits(placed, 'RESERVED');
    const authorized = await indexUnits(reserved.next, 'AUTHORIZED');
    const confirmed = await indexUnits(authorized.next, 'CONFIRMED');
    expect(reserved.units).toBe(0);
    expect(authorized.units).toBe(0);
    // Leaving the in-flight partition moves the status entry: a delete and a write of a keys-only entry.
    expect(confirmed.units).toBeGreaterThan(0);
  });
});
