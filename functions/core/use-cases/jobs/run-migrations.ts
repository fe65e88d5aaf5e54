import {
  assertMigrationOrder,
  migrationChecksum,
  type Migration,
  type MigrationContext,
} from '../../migrations/migration';
import type { MigrationLedger } from '../../domain/ports';

/** An applied migration whose id or description changed since: the ledger no longer says what was applied. */
export class MigrationChangedError extends Error {
  constructor(migrationId: string) {
    super(
      `migration ${migrationId} was applied with another description: shipped migrations must not change ` +
        '(write a new migration instead)',
    );
    this.name = 'MigrationChangedError';
  }
}

export class MigrationFailedError extends Error {
  constructor(migrationId: string, cause: unknown) {
    super(`migration ${migrationId} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'MigrationFailedError';
  }
}

/** The migration ran longer than its lease and another runner took it over: its result is not recorded. */
export class MigrationLeaseLostError extends Error {
  constructor(migrationId: string) {
    super(`migration ${migrationId} outlived its lease and was taken over by another runner`);
    this.name = 'MigrationLeaseLostError';
  }
}

export type MigrationOutcomeKind = 'applied' | 'already-applied' | 'applied-by-another-runner';

export interface MigrationRunEntry {
  readonly id: string;
  readonly outcome: MigrationOutcomeKind;
  /** Only for migrations this run applied. */
  readonly itemsTouched?: number;
  readonly durationMs?: number;
}

export interface MigrationRunDependencies {
  readonly ledger: MigrationLedger;
  readonly context: MigrationContext;
  /** Identifies this run in the ledger (the Lambda request id, or a random id offline). */
  readonly runnerId: string;
  /** How long a claim stays valid: longer than the longest this run can take (the function's remaining time). */
  readonly leaseMs: number;
  /** How often to look again while another runner holds a migration. */
  readonly pollIntervalMs?: number;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Applies every migration not yet in the ledger, in id order, one at a time. Each is claimed in the ledger first
 * (a conditional write): a runner that finds a migration claimed by another waits until that one is applied (or its
 * lease runs out and the claim can be taken over) before it moves on, so when this returns every migration in the
 * list has been applied, each exactly once. A failing migration releases its claim and stops the run.
 */
export async function runMigrations(
  migrations: readonly Migration[],
  deps: MigrationRunDependencies,
): Promise<MigrationRunEntry[]> {
  assertMigrationOrder(migrations);
  const now = deps.now ?? (() => new Date());
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const pollIntervalMs = deps.pollIntervalMs ?? 1000;
  const results: MigrationRunEntry[] = [];

  for (const migration of migrations) {
    const checksum = migrationChecksum(migration);
    let waited = false;
    for (;;) {
      const entry = await deps.ledger.get(migration.id);
      if (entry?.state === 'applied') {
        if (entry.checksum !== checksum) throw new MigrationChangedError(migration.id);
        results.push({ id: migration.id, outcome: waited ? 'applied-by-another-runner' : 'already-applied' });
        break;
      }
      const at = now();
      if (entry?.state === 'running' && entry.leaseExpiresAt && Date.parse(entry.leaseExpiresAt) > at.getTime()) {
        waited = true;
        await sleep(Math.min(pollIntervalMs, Date.parse(entry.leaseExpiresAt) - at.getTime() + 1));
        continue;
      }
      const claimed = await deps.ledger.claim({
        migrationId: migration.id,
        checksum,
        description: migration.description,
        runnerId: deps.runnerId,
        claimedAt: at.toISOString(),
        leaseExpiresAt: new Date(at.getTime() + deps.leaseMs).toISOString(),
      });
      // Another runner claimed it between the read and the claim: read again (and wait for it).
      if (!claimed) continue;

      deps.context.log('applying migration', { migrationId: migration.id, description: migration.description });
      let itemsTouched: number;
      try {
        ({ itemsTouched } = await migration.up(deps.context));
      } catch (error) {
        await deps.ledger.release(migration.id, deps.runnerId).catch(() => undefined);
        throw new MigrationFailedError(migration.id, error);
      }
      const finished = now();
      const durationMs = finished.getTime() - at.getTime();
      await deps.ledger.complete(migration.id, deps.runnerId, {
        appliedAt: finished.toISOString(),
        itemsTouched,
        durationMs,
      });
      deps.context.log('migration applied', { migrationId: migration.id, itemsTouched, durationMs });
      results.push({ id: migration.id, outcome: 'applied', itemsTouched, durationMs });
      break;
    }
  }
  return results;
}
