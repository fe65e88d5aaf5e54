import { randomUUID } from 'node:crypto';
import { BatchWriteItemCommand, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrderStore } from '../../functions/core/adapters/dynamodb/order-store';
import { RegionFence, roleItem } from '../../functions/core/adapters/dynamodb/region-fence';
import { keys, ordersTableDesign } from '../../functions/core/data/table-design';
import { RegionNotActiveError } from '../../functions/core/domain/errors';
import { drainingRole, initialRole, promotedRole, type RegionRole } from '../../functions/core/domain/region-role';
import { ensureTable } from '../../local/runtime/ensure-table';
import { oneUnitOrder } from '../helpers/fixtures';

const pendingOrder = () =>
  oneUnitOrder({
    orderId: randomUUID(),
    customerId: 'customer-1',
    status: 'PENDING',
    product: { productId: 'p-1', name: 'Widget', price: 500 },
    createdAt: new Date().toISOString(),
  });

/**
 * Write fencing on DynamoDB Local: the fence sits on the document client every store shares, so each write command
 * (transactions, single-item writes, batches) is refused outside the active region, reads never are, and a promotion
 * takes effect for transactions at once (the check is in the transaction) and for single writes within the cache.
 */

const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run integration tests through jest');
const primary = 'us-east-1';
const standby = 'us-west-2';
const lowLevel = new DynamoDBClient({
  endpoint,
  region: primary,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const plain = DynamoDBDocumentClient.from(lowLevel, { marshallOptions: { removeUndefinedValues: true } });
const clients: DynamoDBClient[] = [lowLevel];
afterAll(() => clients.forEach((client) => client.destroy()));

let tableName: string;
beforeEach(async () => {
  tableName = `region-fence-${randomUUID()}`;
  await ensureTable(lowLevel, ordersTableDesign, tableName);
});

/** A fenced client as the functions of `region` get it; `clock` drives the role cache. */
function regionClient(region: string, cacheMs = 0, clock = { now: 0 }) {
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  clients.push(client);
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const fence = new RegionFence(document, () => ({
    enabled: true,
    tableName,
    region,
    primaryRegion: primary,
    cacheMs,
    now: () => clock.now,
  }));
  fence.install(document);
  return { client, document, fence, clock };
}

async function setRole(role: RegionRole) {
  await plain.send(new PutCommand({ TableName: tableName, Item: roleItem(role) }));
}

const put = (id: string) => new PutCommand({ TableName: tableName, Item: { PK: `T#${id}`, SK: 'T', n: 1 } });
const transaction = (id: string) =>
  new TransactWriteCommand({
    TransactItems: [
      { Put: { TableName: tableName, Item: { PK: `T#${id}`, SK: 'A' } } },
      { Put: { TableName: tableName, Item: { PK: `T#${id}`, SK: 'B' } } },
    ],
  });

async function exists(id: string, sk = 'T'): Promise<boolean> {
  const { Item } = await plain.send(new GetCommand({ TableName: tableName, Key: { PK: `T#${id}`, SK: sk } }));
  return Item !== undefined;
}

describe('before any promotion (no role item): the primary writes, the standby only reads', () => {
  it('accepts every kind of write in the primary, the stores included', async () => {
    const { document, client } = regionClient(primary);
    await document.send(put('p1'));
    await document.send(transaction('p2'));
    await document.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { PK: 'T#p1', SK: 'T' },
        UpdateExpression: 'SET n = :two',
        ExpressionAttributeValues: { ':two': 2 },
      }),
    );
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: { [tableName]: [{ PutRequest: { Item: { PK: { S: 'T#p3' }, SK: { S: 'T' } } } }] },
      }),
    );
    const order = pendingOrder();
    await new DynamoDbOrderStore(document, tableName).create(order);
    expect(await exists('p1')).toBe(true);
    expect(await exists('p2', 'B')).toBe(true);
    expect(await exists('p3')).toBe(true);
    const { Item } = await plain.send(new GetCommand({ TableName: tableName, Key: keys.order(order.orderId) }));
    expect(Item?.status).toBe('PENDING');
  });

  it('refuses every kind of write in the standby, changing nothing, and serves its reads', async () => {
    await plain.send(put('existing'));
    const { document, client } = regionClient(standby);
    const refused = [
      () => document.send(put('s1')),
      () => document.send(transaction('s2')),
      () =>
        document.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { PK: 'T#existing', SK: 'T' },
            UpdateExpression: 'SET n = :two',
            ExpressionAttributeValues: { ':two': 2 },
          }),
        ),
      () => document.send(new DeleteCommand({ TableName: tableName, Key: { PK: 'T#existing', SK: 'T' } })),
      () =>
        client.send(
          new BatchWriteItemCommand({
            RequestItems: { [tableName]: [{ PutRequest: { Item: { PK: { S: 'T#s3' }, SK: { S: 'T' } } } }] },
          }),
        ),
      () => new DynamoDbOrderStore(document, tableName).create(pendingOrder()),
    ];
    for (const write of refused) await expect(write()).rejects.toBeInstanceOf(RegionNotActiveError);
    expect(await exists('s1')).toBe(false);
    expect(await exists('s2', 'A')).toBe(false);
    expect(await exists('s3')).toBe(false);
    const { Item } = await document.send(new GetCommand({ TableName: tableName, Key: { PK: 'T#existing', SK: 'T' } }));
    expect(Item?.n).toBe(1);
  });

  it('leaves other tables alone (the per-region idempotency table)', async () => {
    const other = `region-fence-other-${randomUUID()}`;
    await ensureTable(lowLevel, ordersTableDesign, other);
    const { document } = regionClient(standby);
    await document.send(new PutCommand({ TableName: other, Item: { PK: 'x', SK: 'y' } }));
    const { Item } = await plain.send(new GetCommand({ TableName: other, Key: { PK: 'x', SK: 'y' } }));
    expect(Item).toBeDefined();
  });
});

describe('a promotion', () => {
  it('fences the old primary at once for transactions, even with its role cached, and lets the new one write', async () => {
    const clock = { now: 0 };
    const old = regionClient(primary, 60_000, clock);
    await old.document.send(transaction('before'));
    expect(await old.fence.writesHere()).toBe(true);
    await setRole(promotedRole(initialRole(primary), standby, new Date()));
    // The cached role still says "active here": the transaction's own check of the role item refuses it.
    await expect(old.document.send(transaction('late'))).rejects.toBeInstanceOf(RegionNotActiveError);
    expect(await exists('late', 'A')).toBe(false);
    // A single write trusts the cache until it expires, then is refused too.
    clock.now = 60_001;
    await expect(old.document.send(put('late-single'))).rejects.toBeInstanceOf(RegionNotActiveError);
    expect(await exists('late-single')).toBe(false);

    const promoted = regionClient(standby);
    await promoted.document.send(transaction('after'));
    await promoted.document.send(put('after-single'));
    expect(await exists('after', 'B')).toBe(true);
    expect(await exists('after-single')).toBe(true);
  });

  it('lets nobody write while it drains the old region', async () => {
    await setRole(drainingRole(initialRole(primary), standby, new Date()));
    for (const region of [primary, standby]) {
      const { document } = regionClient(region);
      await expect(document.send(transaction(`draining-${region}`))).rejects.toBeInstanceOf(RegionNotActiveError);
      await expect(document.send(put(`draining-single-${region}`))).rejects.toBeInstanceOf(RegionNotActiveError);
    }
  });

  it('retries once on a newer epoch of its own region (a failback), so a write is not lost to the bump', async () => {
    const clock = { now: 0 };
    const back = regionClient(primary, 60_000, clock);
    const away = promotedRole(initialRole(primary), standby, new Date());
    await setRole(away);
    expect(await back.fence.writesHere(true)).toBe(false);
    const failback = promotedRole(away, primary, new Date());
    expect(failback.epoch).toBe(2);
    await setRole(failback);
    // The cache says standby: the fence reads the role again before refusing.
    await back.document.send(transaction('failback'));
    expect(await exists('failback', 'A')).toBe(true);
    // Epoch 3 while the cache holds epoch 2: the check fails, the role is read again, the write goes through.
    await setRole(promotedRole(promotedRole(failback, standby, new Date()), primary, new Date()));
    await back.document.send(transaction('epoch-4'));
    expect(await exists('epoch-4', 'B')).toBe(true);
  });

  it('hands the caller only its own cancellation reasons, by position', async () => {
    const { document } = regionClient(primary);
    await plain.send(put('taken'));
    const error = await document
      .send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: { PK: 'T#free', SK: 'T' } } },
            {
              Put: {
                TableName: tableName,
                Item: { PK: 'T#taken', SK: 'T' },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionCanceledException);
    expect((error as TransactionCanceledException).CancellationReasons?.map((reason) => reason.Code)).toEqual([
      'None',
      'ConditionalCheckFailed',
    ]);
  });
});
