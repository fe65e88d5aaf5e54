import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import type { DependencyProbe } from '../../domain/ports';

/**
 * The table answers: one eventually consistent GetItem of a key that never holds an item (half a read capacity
 * unit). A data-plane read the function's item-read grant already covers, so readiness needs no DescribeTable.
 */
export function tableProbe(client: DynamoDBDocumentClient, tableName: string): DependencyProbe {
  return async (abortSignal) => {
    await client.send(new GetCommand({ TableName: tableName, Key: keys.readinessProbe }), { abortSignal });
  };
}
