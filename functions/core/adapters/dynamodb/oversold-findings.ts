import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import { oversoldEvent, type OversoldStock } from '../../domain/events';
import { outboxAttributes } from './outbox-attributes';

/**
 * Reconciliation's findings of stock sold twice, one item per product (docs/regions.md). Each carries its
 * `inventory.oversold` event (the outbox): the relay publishes it when its id is new, so an unchanged count found
 * again by the next run announces nothing.
 */
export class DynamoDbOversoldFindings {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(findings: readonly OversoldStock[]): Promise<void> {
    for (const finding of findings) {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.oversold(finding.productId),
            entity: 'oversold',
            ...finding,
            ...outboxAttributes(oversoldEvent(finding)),
          },
        }),
      );
    }
  }
}
