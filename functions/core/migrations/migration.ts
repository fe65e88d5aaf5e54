import { createHash } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * What a migration gets to work with. Migrations change how items are laid out in the table, so they speak
 * DynamoDB directly (through the document client) rather than through the domain's stores: a store knows only the
 * current layout, and a migration exists precisely because some items are not in it yet.
 */
export interface MigrationContext {
  readonly documentClient: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Parallel Scan segments for migrations that must visit every item. */
  readonly scanSegments: number;
  readonly log: (message: string, details?: Record<string, unknown>) => void;
}

export interface MigrationOutcome {
  /** Items the migration wrote (not items it read): 0 on an empty table or when nothing needed the change. */
  readonly itemsTouched: number;
}

/**
 * One versioned data migration. Migrations run in id order, at most once per table (the ledger in the orders table
 * records each one applied), and must be idempotent anyway: a run cut short (a timeout, a crash) is retried from
 * the start, over items it already changed. Each one must also be safe on an empty table.
 */
export interface Migration {
  /** `<4-digit version>-<kebab-case name>`, e.g. `0001-backfill-order-index-keys`; never changed once shipped. */
  readonly id: string;
  /** What it does and why, for the ledger and the deploy log; never changed once shipped either. */
  readonly description: string;
  up(context: MigrationContext): Promise<MigrationOutcome>;
}

export const migrationIdPattern = /^\d{4}-[a-z0-9]+(-[a-z0-9]+)*$/;

/**
 * The fingerprint the ledger keeps of a migration: its id and description. Code cannot be fingerprinted reliably
 * (the deployed bundle is minified, the local runtime runs the source), so what is checked is that an applied
 * migration was not renamed or repurposed; its code is immutable by convention, like its id.
 */
export function migrationChecksum(migration: Pick<Migration, 'id' | 'description'>): string {
  return createHash('sha256').update(`${migration.id}\n${migration.description}`).digest('hex');
}

/** Throws unless the ids are well formed, unique and in ascending order: the order they must run in. */
export function assertMigrationOrder(migrations: readonly Pick<Migration, 'id'>[]): void {
  migrations.forEach((migration, index) => {
    if (!migrationIdPattern.test(migration.id)) {
      throw new Error(`migration id ${migration.id} is not <4-digit version>-<kebab-case name>`);
    }
    const previous = migrations[index - 1];
    if (previous && previous.id.slice(0, 4) >= migration.id.slice(0, 4)) {
      throw new Error(`migration ${migration.id} must have a higher version than ${previous.id}`);
    }
  });
}
