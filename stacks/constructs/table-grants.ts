import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';

export type TableAccess = 'read' | 'readWrite';

// Only the item-level actions the adapters issue (Get/BatchGet/Query, transactional Put/Update/Delete/ConditionCheck).
// Scan is left out on purpose: no request path may scan the table (scanTable grants it to the reconciliation only).
const tableReadActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'];
const tableWriteActions = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
];
// What Powertools idempotency's DynamoDBPersistenceLayer calls: no Query, no Scan, no batch operations.
const idempotencyTableActions = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
// The same key actions CDK's table grants use, spelled out so that no wildcard action reaches the policy.
const keyReadActions = ['kms:Decrypt', 'kms:DescribeKey'];
const keyWriteActions = [
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
];

/** The table's customer managed key, if it has one, for `actions`. */
function grantTableKey(role: iam.IRole, table: ITableV2, actions: readonly string[]): void {
  if (table.encryptionKey) {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...actions], resources: [table.encryptionKey.keyArn] }),
    );
  }
}

/** Item reads (and writes for `readWrite`) on the table, queries on each named index, and the key's matching use. */
export function grantTableItems(
  role: iam.IRole,
  table: ITableV2,
  access: TableAccess,
  indexNames: readonly string[],
): void {
  const writes = access === 'readWrite';
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: writes ? [...tableReadActions, ...tableWriteActions] : tableReadActions,
      resources: [table.tableArn],
    }),
  );
  if (indexNames.length > 0) {
    // Indexes are read-only and only queried; naming each one avoids the `index/*` wildcard.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexNames.map((indexName) => `${table.tableArn}/index/${indexName}`),
      }),
    );
  }
  grantTableKey(role, table, writes ? [...keyReadActions, ...keyWriteActions] : keyReadActions);
}

/** dynamodb:Scan on the table (not its indexes) and reads of its key; no item action. */
export function grantTableScan(role: iam.IRole, table: ITableV2): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [table.tableArn] }));
  grantTableKey(role, table, keyReadActions);
}

/** The item actions of Powertools idempotency's persistence layer on the table, with reads and writes of its key. */
export function grantIdempotencyItems(role: iam.IRole, table: ITableV2): void {
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: idempotencyTableActions, resources: [table.tableArn] }));
  grantTableKey(role, table, [...keyReadActions, ...keyWriteActions]);
}

/**
 * dynamodb:GetItem (`get`) or dynamodb:PutItem (`put`) on the items of one partition key only (the LeadingKeys
 * condition), with the key's matching use: for a function that touches one well-known item and nothing else.
 */
export function grantPartitionItems(
  role: iam.IRole,
  table: ITableV2,
  partitionKey: string,
  access: 'get' | 'put',
): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [access === 'get' ? 'dynamodb:GetItem' : 'dynamodb:PutItem'],
      resources: [table.tableArn],
      // A key ending in `*` names the partitions that start with it (`OVERSOLD#*`).
      conditions: {
        [partitionKey.endsWith('*') ? 'ForAllValues:StringLike' : 'ForAllValues:StringEquals']: {
          'dynamodb:LeadingKeys': [partitionKey],
        },
      },
    }),
  );
  grantTableKey(role, table, access === 'get' ? keyReadActions : [...keyReadActions, ...keyWriteActions]);
}
