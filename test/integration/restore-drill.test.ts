import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { migrations } from '../../functions/core/migrations/migrations';
import {
  BackupInvalidError,
  backupTables,
  restoreTables,
  RestoreRefusedError,
  tableDigest,
  type BackupManifest,
} from '../../local/commands/lib/table-backup';
import type { TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

/**
 * The restore drill, on the real offline system: orders of every outcome, a backup, the tables deleted, the backup
 * restored into fresh tables (new names, created from the table design), then proof that the restored data is the
 * data: equal counts and checksums, no reconciliation violation, and the API served from the restored table
 * answering every order exactly as before.
 */

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT!;
const client = new DynamoDBClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

let system: TestSystem | undefined;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'restore-drill-'));
});

afterAll(async () => {
  await system?.stop();
  client.destroy();
  await rm(directory, { recursive: true, force: true });
});

/**
 * Loads the helper (and with it every handler module) afresh, since handlers read their table name at cold start.
 * Both systems share one payment journal, as a restored deployment keeps talking to the same payment provider.
 */
async function startSystem(tableName?: string): Promise<TestSystem> {
  jest.resetModules();
  const { startTestSystem } = await import('../helpers/local-system');
  return startTestSystem({ paymentDataFile: join(directory, 'payments.jsonl'), ...(tableName ? { tableName } : {}) });
}

/**
 * Reconciles with the modules of the system's own registry: the SDK's paginators accept only a client of the class
 * they were loaded with, and `startSystem` loads the SDK afresh.
 */
async function reconcileLocal(runtime: TestSystem['runtime']) {
  const { reconcileLocal: reconcile } = await import('../../local/commands/lib/reconciliation');
  return reconcile(runtime);
}

async function tableExists(tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return false;
    throw error;
  }
}

describe('restore drill: back up, wipe, restore into fresh tables, verify', () => {
  it('restores every order, with equal checksums, no violation and the same API answers', async () => {
    const first = await startSystem();
    system = first;
    const [alice, bob, admin] = await Promise.all([
      first.tokenFor('alice'),
      first.tokenFor('bob'),
      first.tokenFor('admin', ['admins']),
    ]);
    const place = async (token: string, paymentToken: string, quantity = 1) => {
      const placed = await first.call('POST', '/orders', {
        token,
        headers: { 'idempotency-key': randomUUID() },
        body: orderRequest({ items: [{ productId: 'prod_paper_filters', quantity }], paymentToken }),
      });
      expect(placed.status).toBe(202);
      return (await first.waitForTerminal(placed.body.orderId as string, token)).orderId as string;
    };

    // Orders of every outcome: confirmed, declined, failed payment, cancelled after confirmation, fulfilled.
    const owners = new Map<string, string>();
    for (const [token, paymentToken, quantity] of [
      [alice, 'pm_card_visa', 1],
      [alice, 'pm_card_chargeDeclined', 1],
      [bob, 'pm_card_visa', 2],
      [bob, 'pm_card_chargeDeclinedProcessingError', 1],
      [alice, 'pm_card_visa', 1],
      [bob, 'pm_card_visa', 1],
    ] as const) {
      owners.set(await place(token, paymentToken, quantity), token);
    }
    const [confirmedA, , , , toCancel, toFulfil] = [...owners.keys()];
    expect((await first.call('POST', `/orders/${toCancel}/cancel`, { token: alice, body: {} })).status).toBe(200);
    expect((await first.call('POST', `/admin/orders/${toFulfil}/fulfill`, { token: admin, body: {} })).status).toBe(
      200,
    );
    expect(await first.runtime.drain(10_000)).toBe(true);

    const answers = async (sys: TestSystem, tokens: Map<string, string>) => {
      const result: Record<string, unknown> = {};
      for (const [orderId, token] of tokens) {
        const { status, body } = await sys.call('GET', `/orders/${orderId}`, { token });
        expect(status).toBe(200);
        const history = await sys.call('GET', `/orders/${orderId}/history`, { token });
        result[orderId] = { order: body, history: history.body };
      }
      return result;
    };
    const before = await answers(first, owners);
    const statuses = Object.values(before).map((entry) => (entry as { order: { status: string } }).order.status);
    expect(new Set(statuses)).toEqual(new Set(['CONFIRMED', 'FAILED', 'CANCELLED', 'FULFILLED']));
    expect((await reconcileLocal(first.runtime)).violations).toEqual([]);

    // Back up both tables.
    const ordersTable = first.runtime.tableName;
    const idempotencyTable = `${ordersTable}-idempotency`;
    const backup = join(directory, 'backup');
    const manifest = await backupTables(
      client,
      [
        { role: 'orders', tableName: ordersTable },
        { role: 'idempotency', tableName: idempotencyTable },
      ],
      backup,
      { source: endpoint, segments: 3 },
    );
    expect(manifest.tables.map(({ role, tableName, file }) => ({ role, tableName, file }))).toEqual([
      { role: 'orders', tableName: ordersTable, file: 'orders.jsonl' },
      { role: 'idempotency', tableName: idempotencyTable, file: 'idempotency.jsonl' },
    ]);
    const [ordersEntry, idempotencyEntry] = manifest.tables;
    // Orders, history, holds, products, movements and the migration ledger; and one record per idempotent POST.
    expect(ordersEntry!.itemCount).toBeGreaterThan(owners.size * 3);
    expect(idempotencyEntry!.itemCount).toBeGreaterThanOrEqual(owners.size);
    // The checksum does not depend on the scan: another digest with other segments agrees, and the file's bytes are
    // the canonical serialization the checksum covers.
    expect(await tableDigest(client, ordersTable, 1)).toEqual({
      itemCount: ordersEntry!.itemCount,
      sha256: ordersEntry!.sha256,
    });
    const fileText = await readFile(join(backup, 'orders.jsonl'), 'utf8');
    expect(fileText.split('\n').filter(Boolean)).toHaveLength(ordersEntry!.itemCount);
    expect(JSON.parse(await readFile(join(backup, 'manifest.json'), 'utf8'))).toEqual(manifest);

    // Wipe: the tables are gone.
    await first.stop();
    system = undefined;
    for (const tableName of [ordersTable, idempotencyTable]) {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      expect(await tableExists(tableName)).toBe(false);
    }

    // Restore into fresh tables, created from the table design.
    const restoredTable = `orders-restored-${randomUUID()}`;
    const restoredIdempotency = `${restoredTable}-idempotency`;
    const restored = await restoreTables(client, backup, { orders: restoredTable, idempotency: restoredIdempotency });
    expect(restored).toEqual([
      { role: 'orders', tableName: restoredTable, created: true, otherItems: 0, ...digestOf(ordersEntry!) },
      {
        role: 'idempotency',
        tableName: restoredIdempotency,
        created: true,
        otherItems: 0,
        ...digestOf(idempotencyEntry!),
      },
    ]);
    expect(await tableDigest(client, restoredTable)).toEqual(digestOf(ordersEntry!));
    expect(await tableDigest(client, restoredIdempotency)).toEqual(digestOf(idempotencyEntry!));
    const { Table } = await client.send(new DescribeTableCommand({ TableName: restoredTable }));
    expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual(['GSI1', 'GSI2']);

    // A second restore into the now non-empty tables is refused, and changes nothing.
    await expect(
      restoreTables(client, backup, { orders: restoredTable, idempotency: restoredIdempotency }),
    ).rejects.toThrow(RestoreRefusedError);
    expect(await tableDigest(client, restoredTable)).toEqual(digestOf(ordersEntry!));

    // The system served from the restored tables: the migration ledger came along, every order reads the same,
    // the customer's listing (GSI1) and the admin's (GSI2) find them, and the data reconciles.
    const second = await startSystem(restoredTable);
    system = second;
    expect(second.runtime.migrations).toEqual(
      migrations.map((migration) => ({ id: migration.id, outcome: 'already-applied' })),
    );
    const [alice2, bob2, admin2] = await Promise.all([
      second.tokenFor('alice'),
      second.tokenFor('bob'),
      second.tokenFor('admin', ['admins']),
    ]);
    const sameOwners = new Map([...owners].map(([orderId, token]) => [orderId, token === alice ? alice2 : bob2]));
    expect(await answers(second, sameOwners)).toEqual(before);
    const aliceOrders = await second.call<{ orders: { orderId: string }[] }>('GET', '/orders', { token: alice2 });
    expect(aliceOrders.body.orders.map((order) => order.orderId).sort()).toEqual(
      [...owners]
        .filter(([, token]) => token === alice)
        .map(([orderId]) => orderId)
        .sort(),
    );
    const confirmed = await second.call<{ orders: { orderId: string }[] }>('GET', '/admin/orders?status=CONFIRMED', {
      token: admin2,
    });
    expect(confirmed.body.orders.map((order) => order.orderId)).toContain(confirmedA);
    const report = await reconcileLocal(second.runtime);
    expect(report.violations).toEqual([]);
    expect(report.counts.orders).toBe(owners.size);
  });

  it('refuses a backup whose file was changed after it was written', async () => {
    const tableName = `orders-drill-${randomUUID()}`;
    const source = join(directory, 'tampered');
    const { ensureTable } = await import('../../local/runtime/ensure-table');
    const { ordersTableDesign } = await import('../../functions/core/data/table-design');
    await ensureTable(client, ordersTableDesign, tableName);
    const { DynamoDBDocumentClient, PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const documents = DynamoDBDocumentClient.from(client);
    await documents.send(new PutCommand({ TableName: tableName, Item: { PK: 'P#1', SK: 'S', amount: 100 } }));
    await documents.send(
      new PutCommand({ TableName: tableName, Item: { PK: 'P#2', SK: 'S', tags: new Set(['b', 'a']) } }),
    );
    await backupTables(client, [{ role: 'orders', tableName }], source);
    const file = join(source, 'orders.jsonl');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"100"', '"1000"'));
    const target = `orders-drill-${randomUUID()}`;
    await expect(restoreTables(client, source, { orders: target })).rejects.toThrow(BackupInvalidError);
    expect(await tableExists(target)).toBe(false);
  });
});

function digestOf(entry: BackupManifest['tables'][number]) {
  return { itemCount: entry.itemCount, sha256: entry.sha256 };
}
