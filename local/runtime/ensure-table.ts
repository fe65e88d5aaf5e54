import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { GlobalIndexDesign } from '../../functions/core/data/table-design';

/** What CreateTable needs of a design (the orders table and the idempotency table both fit). */
export interface LocalTableDesign {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly globalIndexes?: readonly GlobalIndexDesign[];
  readonly timeToLiveAttribute: string;
  readonly stream?: 'NEW_AND_OLD_IMAGES' | 'NONE';
}

/** Creates a table on DynamoDB Local from the same design the CDK data stack deploys; an existing table is kept. */
export async function ensureTable(
  client: DynamoDBClient,
  design: LocalTableDesign,
  tableName: string,
): Promise<'created' | 'exists'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return 'exists';
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  const indexes = design.globalIndexes ?? [];
  const attributes = new Set([design.partitionKey, ...(design.sortKey ? [design.sortKey] : [])]);
  for (const index of indexes) attributes.add(index.partitionKey).add(index.sortKey);
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: design.partitionKey, KeyType: 'HASH' },
        ...(design.sortKey ? [{ AttributeName: design.sortKey, KeyType: 'RANGE' as const }] : []),
      ],
      GlobalSecondaryIndexes:
        indexes.length === 0
          ? undefined
          : indexes.map((index) => ({
              IndexName: index.indexName,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: 'HASH' },
                { AttributeName: index.sortKey, KeyType: 'RANGE' },
              ],
              Projection:
                index.projectedAttributes.length === 0
                  ? { ProjectionType: 'KEYS_ONLY' }
                  : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projectedAttributes] },
            })),
      ...(design.stream === undefined || design.stream === 'NONE'
        ? {}
        : { StreamSpecification: { StreamEnabled: true, StreamViewType: design.stream } }),
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: design.timeToLiveAttribute, Enabled: true },
    }),
  );
  return 'created';
}
