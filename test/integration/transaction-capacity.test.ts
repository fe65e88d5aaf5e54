import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ordersTableDesign } from '../../functions/core/data/table-design';
import { ensureTable } from '../../local/runtime/ensure-table';
import { localDynamoDbClients } from '../helpers/local-dynamodb';

/**
 * What DynamoDB Local reports as a transaction's consumed capacity, which the benchmarks' cost model corrects
 * (bench/lib/write-breakdown.ts, `actionUnits`): AWS bills 2 write units per item and KB of a TransactWriteItems,
 * DynamoDB Local adds up only the *distinct* per-item figures, so equal items count once. A single write and a batch
 * report what AWS bills. If a DynamoDB Local release reports transactions in full, this fails, and the correction
 * can go.
 */

const { client, documentClient } = localDynamoDbClients();

async function freshTable() {
  const tableName = `transaction-capacity-${randomUUID()}`;
  await ensureTable(client, ordersTableDesign, tableName);
  return tableName;
}

const item = (partition: string, bytes: number) => ({ PK: partition, SK: 'ITEM', payload: 'x'.repeat(bytes) });

describe("DynamoDB Local's consumed capacity", () => {
  it('reports a transaction of four one-unit items as 2 units, where AWS bills 8', async () => {
    const tableName = await freshTable();
    const { ConsumedCapacity = [] } = await documentClient.send(
      new TransactWriteCommand({
        TransactItems: ['a', 'b', 'c', 'd'].map((id) => ({ Put: { TableName: tableName, Item: item(id, 100) } })),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(ConsumedCapacity.map((entry) => entry.CapacityUnits)).toEqual([2]);
  });

  it('adds up items whose figures differ: a one-unit and a two-unit item report 2 + 4', async () => {
    const tableName = await freshTable();
    const { ConsumedCapacity = [] } = await documentClient.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: item('a', 100) } },
          { Put: { TableName: tableName, Item: item('b', 1500) } },
        ],
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(ConsumedCapacity.map((entry) => entry.CapacityUnits)).toEqual([6]);
  });

  it('reports a single write and a batch in full', async () => {
    const tableName = await freshTable();
    const single = await documentClient.send(
      new PutCommand({ TableName: tableName, Item: item('a', 100), ReturnConsumedCapacity: 'TOTAL' }),
    );
    expect(single.ConsumedCapacity?.CapacityUnits).toBe(1);
    const batch = await documentClient.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: ['b', 'c', 'd'].map((id) => ({ PutRequest: { Item: item(id, 100) } })) },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(batch.ConsumedCapacity?.map((entry) => entry.CapacityUnits)).toEqual([3]);
  });
});
