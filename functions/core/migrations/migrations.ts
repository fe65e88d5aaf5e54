import { backfillOrderIndexKeys } from './0001-backfill-order-index-keys';
import { shareInFlightStatusPartition } from './0002-share-in-flight-status-partition';
import { assertMigrationOrder, type Migration } from './migration';

/**
 * Every data migration, oldest first. Append only: a shipped migration is never edited, renamed or removed (the
 * ledger remembers it by id and checksum); a fix to one is a new migration.
 */
export const migrations: readonly Migration[] = [backfillOrderIndexKeys, shareInFlightStatusPartition];

assertMigrationOrder(migrations);
