import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { orderIndexKeys, statusShard } from '../../functions/core/adapters/dynamodb/item-mapping';
import { DynamoDbMigrationLedger } from '../../functions/core/adapters/dynamodb/migration-ledger';
import { DynamoDbOrderStore } from '../../functions/core/adapters/dynamodb/order-store';
import { keys, ordersTableDesign } from '../../functions/core/data/table-design';
import type { Order } from '../../functions/core/domain/order';
import { migrationChecksum, type Migration } from '../../functions/core/migrations/migration';
import { migrations } from '../../functions/core/migrations/migrations';
import {
  MigrationChangedError,
  MigrationFailedError,
  runMigrations,
  type MigrationRunEntry,
} from '../../functions/core/use-cases/jobs/run-migrations';
import { lambdaContext } from '../../local/emulators/lambda-context';
import { ensureTable } from '../../local/runtime/ensure-table';
import { oneUnitOrder } from '../helpers/fixtures';
import { localDynamoDbClients } from '../helpers/local-dynamodb';

/**
 * The data migrations and their ledger on DynamoDB Local: legacy-shaped items are brought up to date, a second run
 * changes nothing, and concurrent runners apply each migration once.
 */

type Item = Record<string, unknown>;

const { endpoint, client, documentClient } = localDynamoDbClients();
const [backfill, shareInFlight] = migrations;

async function freshTable(): Promise<string> {
  const tableName = `migrations-test-${randomUUID()}`;
  await ensureTable(client, ordersTableDesign, tableName);
  return tableName;
}

function runner(tableName: string, runnerId: string = randomUUID(), list: readonly Migration[] = migrations) {
  return runMigrations(list, {
    ledger: new DynamoDbMigrationLedger(documentClient, tableName),
    context: { documentClient, tableName, scanSegments: 3, log: () => undefined },
    runnerId,
    leaseMs: 60_000,
    pollIntervalMs: 20,
  });
}

/** Every item, sorted by key: the whole table's state. */
async function everything(tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const page = await documentClient.send(
      new ScanCommand({
        TableName: tableName,
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items.sort((a, b) => `${String(a.PK)} ${String(a.SK)}`.localeCompare(`${String(b.PK)} ${String(b.SK)}`));
}

async function get(tableName: string, key: Record<string, string>): Promise<Item | undefined> {
  return (await documentClient.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;
}

let created = 0;
function order(orderId: string, status: Order['status'], customerId = 'cust-legacy'): Order {
  created++;
  return oneUnitOrder({
    orderId,
    customerId,
    status,
    product: { productId: 'prod_legacy', name: 'Legacy product', price: 500 },
    createdAt: `2024-03-${String((created % 28) + 1).padStart(2, '0')}T10:00:00.000Z`,
    updatedAt: '2024-03-09T10:00:00.000Z',
  });
}

/**
 * Orders as older versions wrote them: before either index existed (no index keys), with the customer index only,
 * and one written before GSI2 and moved since (transitions set GSI2PK but never GSI2SK). Plus items the migration
 * must leave alone: a current order, a product, a history entry.
 */
async function writeLegacyItems(tableName: string) {
  const noKeys = order('ord_legacy_pending', 'PENDING');
  const customerIndexOnly = order('ord_legacy_confirmed', 'CONFIRMED');
  const transitioned = order('ord_legacy_failed', 'FAILED', 'cust-other');
  const current = order('ord_current', 'CONFIRMED');
  const legacy = [noKeys, customerIndexOnly, transitioned];
  const put = (item: Item) => documentClient.send(new PutCommand({ TableName: tableName, Item: item }));
  await put({ ...keys.order(noKeys.orderId), entity: 'order', ...noKeys });
  const { GSI1PK, GSI1SK } = orderIndexKeys(customerIndexOnly);
  await put({ ...keys.order(customerIndexOnly.orderId), entity: 'order', GSI1PK, GSI1SK, ...customerIndexOnly });
  await put({
    ...keys.order(transitioned.orderId),
    entity: 'order',
    GSI2PK: orderIndexKeys(transitioned).GSI2PK,
    ...transitioned,
  });
  await put({ ...keys.order(current.orderId), entity: 'order', ...orderIndexKeys(current), ...current });
  await put({ ...keys.product('prod_legacy'), entity: 'product', productId: 'prod_legacy', available: 3, version: 1 });
  await put({ ...keys.orderHistory(noKeys.orderId, '01HX'), entity: 'orderHistory', status: 'PENDING', at: 'x' });
  return { legacy, current };
}

describe('data migrations on DynamoDB Local', () => {
  it('applies to an empty table and records the migration in the ledger', async () => {
    const tableName = await freshTable();
    const results = await runner(tableName);
    expect(results).toEqual(
      migrations.map((migration) => ({
        id: migration.id,
        outcome: 'applied',
        itemsTouched: 0,
        durationMs: expect.any(Number),
      })),
    );
    const items = await everything(tableName);
    expect(items.map((item) => [item.PK, item.SK])).toEqual(migrations.map((migration) => ['MIGRATION', migration.id]));
  });

  it('backfills the index keys of legacy orders, leaves every other item alone, and records it once', async () => {
    const tableName = await freshTable();
    const { legacy, current } = await writeLegacyItems(tableName);
    const before = await everything(tableName);
    const store = new DynamoDbOrderStore(documentClient, tableName);
    // Before: the legacy orders are invisible to the customer and status listings.
    const customerOrders = async () =>
      (await store.listForCustomer('cust-legacy', { limit: 10 })).orders.map((o) => o.orderId).sort();
    expect(await customerOrders()).toEqual(['ord_current', 'ord_legacy_confirmed']);
    expect((await store.listByStatus('PENDING', { limit: 10 })).orders).toEqual([]);
    expect((await store.listByStatus('FAILED', { limit: 10 })).orders).toEqual([]);

    const results = await runner(tableName, 'first-runner');
    expect(results).toEqual([
      { id: backfill!.id, outcome: 'applied', itemsTouched: legacy.length, durationMs: expect.any(Number) },
      // The backfilled PENDING order got the shared in-flight key straight away: nothing left to move.
      { id: shareInFlight!.id, outcome: 'applied', itemsTouched: 0, durationMs: expect.any(Number) },
    ]);

    for (const legacyOrder of legacy) {
      const item = await get(tableName, keys.order(legacyOrder.orderId));
      expect(item).toEqual({
        ...keys.order(legacyOrder.orderId),
        entity: 'order',
        ...legacyOrder,
        ...orderIndexKeys(legacyOrder),
      });
    }
    // Everything else is exactly as it was.
    const after = await everything(tableName);
    const untouched = (items: Item[]) =>
      items.filter(
        (item) =>
          item.PK !== 'MIGRATION' && !legacy.some((o) => item.PK === keys.order(o.orderId).PK && item.SK === 'ORDER'),
      );
    expect(untouched(after)).toEqual(untouched(before));
    expect(await get(tableName, keys.order(current.orderId))).toEqual(
      before.find((item) => item.orderId === current.orderId),
    );

    // The access patterns now see them.
    expect((await store.listByStatus('PENDING', { limit: 10 })).orders.map((o) => o.orderId)).toEqual([
      'ord_legacy_pending',
    ]);
    expect((await store.listByStatus('FAILED', { limit: 10 })).orders.map((o) => o.orderId)).toEqual([
      'ord_legacy_failed',
    ]);
    expect(await customerOrders()).toEqual(['ord_current', 'ord_legacy_confirmed', 'ord_legacy_pending']);

    const ledger = await get(tableName, keys.migration(backfill!.id));
    expect(ledger).toEqual({
      PK: 'MIGRATION',
      SK: backfill!.id,
      entity: 'migration',
      migrationId: backfill!.id,
      state: 'applied',
      checksum: migrationChecksum(backfill!),
      description: backfill!.description,
      runnerId: 'first-runner',
      claimedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      appliedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      itemsTouched: legacy.length,
      durationMs: expect.any(Number),
    });

    // A second run reads the ledger and changes nothing: not the ledger, not an item.
    const settled = await everything(tableName);
    expect(await runner(tableName, 'second-runner')).toEqual(
      migrations.map((migration) => ({ id: migration.id, outcome: 'already-applied' })),
    );
    expect(await everything(tableName)).toEqual(settled);
  });

  it('moves orders in flight from their per-status index partitions to the shared one, and only those', async () => {
    const tableName = await freshTable();
    const store = new DynamoDbOrderStore(documentClient, tableName);
    const put = (item: Item) => documentClient.send(new PutCommand({ TableName: tableName, Item: item }));
    const oldLayout = (o: Order, indexedAs: Order['status'] = o.status) => ({
      ...keys.order(o.orderId),
      entity: 'order',
      ...orderIndexKeys(o),
      GSI2PK: keys.statusPartition(indexedAs, statusShard(o.orderId)),
      ...o,
    });
    const reserved = order('ord_old_reserved', 'RESERVED');
    const authorized = order('ord_old_authorized', 'AUTHORIZED');
    // Its entry is in the PENDING partition but the order is RESERVED (moved on after the index was read): the
    // condition leaves it to the transition that moved it.
    const raced = order('ord_raced', 'RESERVED');
    const confirmed = order('ord_old_confirmed', 'CONFIRMED');
    await put(oldLayout(reserved));
    await put(oldLayout(authorized));
    await put(oldLayout(raced, 'PENDING'));
    await put(oldLayout(confirmed));
    // Before: the in-flight listings read the shared partition and miss them.
    expect((await store.listByStatus('RESERVED', { limit: 10 })).orders).toEqual([]);

    const results = await runner(tableName, 'upgrade-runner', [shareInFlight!]);
    expect(results).toEqual([
      { id: shareInFlight!.id, outcome: 'applied', itemsTouched: 2, durationMs: expect.any(Number) },
    ]);
    const listed = async (status: Order['status']) =>
      (await store.listByStatus(status, { limit: 10 })).orders.map((o) => o.orderId);
    expect(await listed('RESERVED')).toEqual(['ord_old_reserved']);
    expect(await listed('AUTHORIZED')).toEqual(['ord_old_authorized']);
    expect(await listed('CONFIRMED')).toEqual(['ord_old_confirmed']);
    expect((await get(tableName, keys.order(raced.orderId)))?.GSI2PK).toBe(
      keys.statusPartition('PENDING', statusShard(raced.orderId)),
    );
    expect((await get(tableName, keys.order(reserved.orderId)))?.GSI2PK).toBe(
      keys.statusPartition(keys.inFlightIndexStatus, statusShard(reserved.orderId)),
    );
  });

  it('lets two concurrent runners apply each migration exactly once', async () => {
    const tableName = await freshTable();
    const { legacy } = await writeLegacyItems(tableName);
    const [first, second] = await Promise.all([runner(tableName, 'runner-a'), runner(tableName, 'runner-b')]);
    for (const migration of migrations) {
      const outcomes = [...first!, ...second!]
        .filter((result) => result.id === migration.id)
        .map((result) => result.outcome)
        .sort();
      expect(outcomes).toEqual(['applied', expect.stringMatching(/^(already-applied|applied-by-another-runner)$/)]);
    }
    const applied = [...first!, ...second!].find(
      (result) => result.id === backfill!.id && result.outcome === 'applied',
    )!;
    expect(applied.itemsTouched).toBe(legacy.length);
    const ledger = await get(tableName, keys.migration(backfill!.id));
    expect(ledger).toMatchObject({ state: 'applied', itemsTouched: legacy.length });
    expect(['runner-a', 'runner-b']).toContain(ledger!.runnerId);
  });

  it('runs a migration body once while a second runner waits for it, then lets the waiter move on', async () => {
    const tableName = await freshTable();
    const calls: string[] = [];
    const slow = (id: string): Migration => ({
      id,
      description: `records each call (${id})`,
      async up(context) {
        calls.push(id);
        // Long enough that the other runner finds the claim held and has to wait for it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await context.documentClient.send(
          new PutCommand({ TableName: context.tableName, Item: { PK: 'PROBE', SK: id, by: id } }),
        );
        return { itemsTouched: 1 };
      },
    });
    const list = [slow('0001-first-slow'), slow('0002-second-slow')];
    const results = await Promise.all([runner(tableName, 'runner-a', list), runner(tableName, 'runner-b', list)]);
    expect(calls.sort()).toEqual(['0001-first-slow', '0002-second-slow']);
    const byMigration = (id: string) =>
      results.flatMap((entries: MigrationRunEntry[]) =>
        entries.filter((entry) => entry.id === id).map((e) => e.outcome),
      );
    for (const { id } of list) {
      expect(byMigration(id).sort()).toEqual(['applied', 'applied-by-another-runner']);
    }
  });

  it('releases the claim of a failing migration, so a later run applies it', async () => {
    const tableName = await freshTable();
    const failing: Migration = {
      id: '0001-fails-first',
      description: 'fails on its first run',
      up: async () => {
        throw new Error('backfill interrupted');
      },
    };
    await expect(runner(tableName, 'runner-a', [failing])).rejects.toThrow(MigrationFailedError);
    expect(await get(tableName, keys.migration(failing.id))).toBeUndefined();
    const fixed = { ...failing, up: async () => ({ itemsTouched: 0 }) };
    expect(await runner(tableName, 'runner-b', [fixed])).toEqual([
      { id: failing.id, outcome: 'applied', itemsTouched: 0, durationMs: expect.any(Number) },
    ]);
  });

  it('takes over a claim whose lease ran out (its runner died)', async () => {
    const tableName = await freshTable();
    await documentClient.send(
      new PutCommand({
        TableName: tableName,
        Item: {
          ...keys.migration(backfill!.id),
          entity: 'migration',
          migrationId: backfill!.id,
          state: 'running',
          checksum: migrationChecksum(backfill!),
          description: backfill!.description,
          runnerId: 'dead-runner',
          claimedAt: '2024-01-01T00:00:00.000Z',
          leaseExpiresAt: '2024-01-01T00:16:00.000Z',
        },
      }),
    );
    expect((await runner(tableName, 'live-runner'))[0]).toMatchObject({ outcome: 'applied' });
    expect(await get(tableName, keys.migration(backfill!.id))).toMatchObject({
      state: 'applied',
      runnerId: 'live-runner',
    });
  });

  it('refuses to run when an applied migration was renamed or repurposed', async () => {
    const tableName = await freshTable();
    await runner(tableName);
    const changed = { ...backfill!, description: 'something else entirely' };
    await expect(runner(tableName, randomUUID(), [changed])).rejects.toThrow(MigrationChangedError);
  });
});

describe('the run-migrations job handler (the deploy-time custom resource)', () => {
  let tableName: string;
  let handler: (event: unknown, context: unknown) => Promise<unknown>;

  beforeAll(async () => {
    tableName = await freshTable();
    await writeLegacyItems(tableName);
    // The environment CDK gives the function, pointed at DynamoDB Local; read when the module loads.
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      TABLE_NAME: tableName,
      POWERTOOLS_SERVICE_NAME: 'orders-jobs',
      POWERTOOLS_METRICS_NAMESPACE: 'Orders',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    });
    ({ handler } = (await import('../../functions/jobs/run-migrations')) as unknown as { handler: typeof handler });
  });

  it('does nothing on Delete: removing the stack leaves data and ledger alone', async () => {
    const before = await everything(tableName);
    const response = await handler(
      { RequestType: 'Delete', PhysicalResourceId: 'orders-data-migrations', ResourceProperties: {} },
      lambdaContext('run-migrations'),
    );
    expect(response).toEqual({ PhysicalResourceId: 'orders-data-migrations' });
    expect(await everything(tableName)).toEqual(before);
  });

  it('applies pending migrations on Create and Update, answering the provider with a constant physical id', async () => {
    const created = await handler({ RequestType: 'Create', ResourceProperties: {} }, lambdaContext('run-migrations'));
    expect(created).toMatchObject({
      PhysicalResourceId: 'orders-data-migrations',
      Data: { Applied: migrations.map((migration) => migration.id).join(','), Total: String(migrations.length) },
    });
    const updated = await handler(
      { RequestType: 'Update', PhysicalResourceId: 'orders-data-migrations', ResourceProperties: {} },
      lambdaContext('run-migrations'),
    );
    expect(updated).toMatchObject({ PhysicalResourceId: 'orders-data-migrations', Data: { Applied: '' } });
  });
});
