import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrderStore } from '../../functions/core/adapters/dynamodb/order-store';
import { RegionFence, roleItem } from '../../functions/core/adapters/dynamodb/region-fence';
import { keys, ordersTableDesign } from '../../functions/core/data/table-design';
import { RegionNotActiveError } from '../../functions/core/domain/errors';
import type { RegionRole } from '../../functions/core/domain/region-role';
import { ensureTable } from '../../local/runtime/ensure-table';
import {
  fenceRegion,
  promote,
  PromotionError,
  readRoles,
  type RegionTable,
} from '../../local/commands/lib/region-control';
import { oneUnitOrder } from '../helpers/fixtures';

/**
 * The region command's promotion and fencing on DynamoDB Local. Each "region" is a table of its own here (no
 * replication: the drill, `npm run drill:failover`, runs the real two-region system); the drain step copies the
 * fence across the way replication would.
 */

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run integration tests through jest');
const east = 'us-east-1';
const west = 'us-west-2';
const clients: DynamoDBClient[] = [];
afterAll(() => clients.forEach((client) => client.destroy()));

function documentClient(url = endpoint!) {
  const client = new DynamoDBClient({
    endpoint: url,
    region: east,
    maxAttempts: 1,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

async function regionTable(region: string, url?: string): Promise<RegionTable> {
  const tableName = `region-promotion-${region}-${randomUUID()}`;
  const client = documentClient(url);
  if (!url) await ensureTable(clients.at(-1)!, ordersTableDesign, tableName);
  return { region, client, tableName };
}

async function roleIn(table: RegionTable): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.client.send(new GetCommand({ TableName: table.tableName, Key: keys.regionRole }));
  return Item;
}

/** Replication of the role item only: enough for the drain step to see its fence arrive. */
function copyRole(from: RegionTable, to: RegionTable) {
  return async () => {
    const item = await roleIn(from);
    if (item) await to.client.send(new PutCommand({ TableName: to.tableName, Item: item }));
    return 'drained' as const;
  };
}

function fencedClient(table: RegionTable) {
  const document = documentClient();
  new RegionFence(document, () => ({
    enabled: true,
    tableName: table.tableName,
    region: table.region,
    primaryRegion: east,
    cacheMs: 0,
  })).install(document);
  return document;
}

const inFlight = (id: string) =>
  oneUnitOrder({
    orderId: id,
    customerId: 'customer-1',
    status: 'RESERVED',
    product: { productId: 'p-1', name: 'Widget', price: 500 },
    createdAt: '2026-12-03T11:00:00.000Z',
  });

it('fences the old region, waits for the drain, makes the new one active and marks what is in flight', async () => {
  const a = await regionTable(east);
  const b = await regionTable(west);
  await new DynamoDbOrderStore(b.client, b.tableName).create(inFlight('ord_in_flight'));
  const before = await readRoles([a, b], east);
  expect(before.map((reading) => reading.answered && reading.role.activeRegion)).toEqual([east, east]);

  const report = await promote({ to: west, tables: [a, b], primaryRegion: east, drained: copyRole(a, b) });
  expect(report).toMatchObject({ from: east, to: west, epoch: 1, fenced: [east], drain: 'drained', inherited: 1 });
  expect(await roleIn(a)).toMatchObject({ activeRegion: west, epoch: 1, state: 'draining', previousRegion: east });
  expect(await roleIn(b)).toMatchObject({ activeRegion: west, epoch: 1, state: 'active', previousRegion: east });
  const order = await new DynamoDbOrderStore(b.client, b.tableName).get('ord_in_flight');
  expect(order?.inheritedEpoch).toBe(1);

  // The old region's functions refuse writes; the new one's accept them.
  const put = (table: RegionTable) => ({ TableName: table.tableName, Item: { PK: 'T#x', SK: 'T' } });
  await expect(fencedClient(a).send(new PutCommand(put(a)))).rejects.toBeInstanceOf(RegionNotActiveError);
  await fencedClient(b).send(new PutCommand(put(b)));

  // Promoting the active region again changes nothing.
  const again = await promote({ to: west, tables: [a, b], primaryRegion: east, drained: copyRole(a, b) });
  expect(again).toMatchObject({ epoch: 1, fenced: [], drain: 'nothing to drain' });
});

it('promotes without draining when the old region does not answer, and fences it when it is back', async () => {
  const a = await regionTable(east);
  const b = await regionTable(west);
  const down: RegionTable = { ...a, client: documentClient('http://127.0.0.1:9') };
  const lines: string[] = [];
  const report = await promote({ to: west, tables: [down, b], primaryRegion: east, log: (line) => lines.push(line) });
  expect(report).toMatchObject({
    from: east,
    epoch: 1,
    fenced: [],
    drain: 'old region unreachable',
    unreachable: [east],
  });
  expect(lines.join('\n')).toMatch(/does not answer/);
  // Back, it still believes it writes (its replica never heard of the promotion) until it is fenced.
  expect(await fencedClient(a).send(new PutCommand({ TableName: a.tableName, Item: { PK: 'T#y', SK: 'T' } })));
  const role: RegionRole = await fenceRegion(east, [a, b], east);
  expect(role).toMatchObject({ activeRegion: west, epoch: 1, state: 'active' });
  await expect(
    fencedClient(a).send(new PutCommand({ TableName: a.tableName, Item: { PK: 'T#z', SK: 'T' } })),
  ).rejects.toBeInstanceOf(RegionNotActiveError);
  // Failback: back to the primary under epoch 2, draining the standby that now answers.
  const failback = await promote({ to: east, tables: [a, b], primaryRegion: east, drained: copyRole(b, a) });
  expect(failback).toMatchObject({ from: west, to: east, epoch: 2, fenced: [west], drain: 'drained' });
});

it('refuses a promotion that races another one, and one whose target does not answer', async () => {
  const a = await regionTable(east);
  const b = await regionTable(west);
  // Another operator's promotion lands in A right after this one read A's role, before it writes its fence.
  const interfering = documentClient();
  let raced = false;
  a.client.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      if (context.commandName === 'GetItemCommand' && !raced) {
        raced = true;
        await interfering.send(
          new PutCommand({
            TableName: a.tableName,
            Item: roleItem({ activeRegion: west, epoch: 1, state: 'active', changedAt: new Date().toISOString() }),
          }),
        );
      }
      return output;
    },
    { step: 'initialize', name: 'interferingPromotion' },
  );
  const racing = promote({ to: west, tables: [a, b], primaryRegion: east, drained: copyRole(a, b) });
  await expect(racing).rejects.toBeInstanceOf(PromotionError);
  const down: RegionTable = { ...b, client: documentClient('http://127.0.0.1:9') };
  await expect(promote({ to: west, tables: [a, down], primaryRegion: east })).rejects.toThrow(/does not answer/);
});
