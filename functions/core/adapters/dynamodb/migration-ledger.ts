import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import type { LedgerEntry, MigrationClaim, MigrationLedger } from '../../domain/ports';
import { MigrationLeaseLostError } from '../../use-cases/jobs/run-migrations';

const conditionFailed = (error: unknown) => (error as Error)?.name === 'ConditionalCheckFailedException';

/**
 * The migration ledger in the orders table: one item per migration under PK `MIGRATION`, SK `<migration id>`
 * (docs/access-patterns.md). Kept in the table it describes, so a backup, a restore or a replica carries the record
 * of which migrations its items went through. Items carry no index keys and so stay out of every index.
 */
export class DynamoDbMigrationLedger implements MigrationLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(migrationId: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.migration(migrationId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      migrationId: String(Item.migrationId),
      state: Item.state === 'applied' ? 'applied' : 'running',
      checksum: String(Item.checksum),
      description: String(Item.description),
      runnerId: String(Item.runnerId),
      claimedAt: String(Item.claimedAt),
      ...(typeof Item.leaseExpiresAt === 'string' ? { leaseExpiresAt: Item.leaseExpiresAt } : {}),
      ...(typeof Item.appliedAt === 'string' ? { appliedAt: Item.appliedAt } : {}),
      ...(typeof Item.itemsTouched === 'number' ? { itemsTouched: Item.itemsTouched } : {}),
      ...(typeof Item.durationMs === 'number' ? { durationMs: Item.durationMs } : {}),
    };
  }

  async claim(claim: MigrationClaim): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.migration(claim.migrationId), entity: 'migration', state: 'running', ...claim },
          // Free, or a running claim whose lease ran out (its runner died): never an applied migration.
          ConditionExpression: 'attribute_not_exists(PK) OR (#state = :running AND leaseExpiresAt < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':running': 'running', ':now': claim.claimedAt },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async complete(
    migrationId: string,
    runnerId: string,
    record: { appliedAt: string; itemsTouched: number; durationMs: number },
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.migration(migrationId),
          UpdateExpression:
            'SET #state = :applied, appliedAt = :appliedAt, itemsTouched = :itemsTouched, durationMs = :durationMs ' +
            'REMOVE leaseExpiresAt',
          ConditionExpression: '#state = :running AND runnerId = :runnerId',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':applied': 'applied',
            ':running': 'running',
            ':runnerId': runnerId,
            ':appliedAt': record.appliedAt,
            ':itemsTouched': record.itemsTouched,
            ':durationMs': record.durationMs,
          },
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) throw new MigrationLeaseLostError(migrationId);
      throw error;
    }
  }

  async release(migrationId: string, runnerId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.migration(migrationId),
          ConditionExpression: '#state = :running AND runnerId = :runnerId',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':running': 'running', ':runnerId': runnerId },
        }),
      );
    } catch (error) {
      // Someone else's claim by now: theirs to finish.
      if (!conditionFailed(error)) throw error;
    }
  }
}
