import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrderStore } from '../../../functions/core/adapters/dynamodb/order-store';
import { roleFromItem, roleItem } from '../../../functions/core/adapters/dynamodb/region-fence';
import { keys } from '../../../functions/core/data/table-design';
import { inFlightStatuses } from '../../../functions/core/domain/order';
import {
  drainingRole,
  initialRole,
  promotedRole,
  writesIn,
  type RegionRole,
} from '../../../functions/core/domain/region-role';

/** One region's replica of the orders table, as the region command reaches it. */
export interface RegionTable {
  readonly region: string;
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export type RoleReading = { readonly region: string } & (
  { readonly answered: true; readonly role: RegionRole } | { readonly answered: false; readonly error: string }
);

export class PromotionError extends Error {
  override readonly name = 'PromotionError';
}

/** How long a region may take to answer before the command treats it as down. */
const answerTimeoutMs = 3000;

/** The role each region's replica holds (a consistent read); a region that does not answer in time says so. */
export async function readRoles(tables: readonly RegionTable[], primaryRegion: string): Promise<RoleReading[]> {
  return Promise.all(
    tables.map(async (table): Promise<RoleReading> => {
      try {
        return { region: table.region, answered: true, role: await readRole(table, primaryRegion) };
      } catch (error) {
        return { region: table.region, answered: false, error: (error as Error).message };
      }
    }),
  );
}

async function readRole(table: RegionTable, primaryRegion: string): Promise<RegionRole> {
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: keys.regionRole, ConsistentRead: true }),
    { abortSignal: AbortSignal.timeout(answerTimeoutMs) },
  );
  return Item ? roleFromItem(Item) : initialRole(primaryRegion);
}

/** The latest role among `roles`: the highest epoch, and within one epoch the promotion's last step (active). */
function newestRole(roles: readonly RegionRole[]): RegionRole {
  return [...roles].sort(
    (a, b) => b.epoch - a.epoch || Number(b.state === 'active') - Number(a.state === 'active'),
  )[0]!;
}

/** Writes `next` in `table` only if the replica still holds `expected` (by epoch and state): no two promotions win. */
async function replaceRole(table: RegionTable, expected: RegionRole, next: RegionRole): Promise<void> {
  const condition =
    expected.epoch === 0
      ? { ConditionExpression: 'attribute_not_exists(PK)' }
      : {
          ConditionExpression: 'epoch = :epoch AND #state = :state AND activeRegion = :region',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':epoch': expected.epoch,
            ':state': expected.state,
            ':region': expected.activeRegion,
          },
        };
  try {
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: roleItem(next), ...condition }), {
      abortSignal: AbortSignal.timeout(answerTimeoutMs),
    });
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') {
      throw new PromotionError(
        `the role in ${table.region} changed meanwhile (another promotion?): run status, then retry`,
      );
    }
    throw error;
  }
}

export interface PromotionOptions {
  readonly to: string;
  readonly tables: readonly RegionTable[];
  readonly primaryRegion: string;
  /**
   * Resolves once everything the fenced region wrote has reached `to` (`'timeout'` when it did not within the wait).
   * The default waits until the fence itself is visible in `to`, then `settleMs` more.
   */
  readonly drained?: (from: string, to: string) => Promise<'drained' | 'timeout'>;
  readonly settleMs?: number;
  readonly maxWaitMs?: number;
  /** Promote even though the old active region answered but did not drain in time. */
  readonly force?: boolean;
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

export interface PromotionReport {
  readonly from: string;
  readonly to: string;
  readonly epoch: number;
  /** The old active region answered, was fenced, and drained (or did not: `drain` says which). */
  readonly fenced: readonly string[];
  readonly drain: 'drained' | 'timeout' | 'old region unreachable' | 'nothing to drain';
  readonly drainMs: number;
  /** Regions that did not answer: fence each with `fence` when it is back, before it serves again. */
  readonly unreachable: readonly string[];
  /** In-flight orders the promoted region's recovery resumes at once. */
  readonly inherited: number;
  readonly changedAt: string;
}

/**
 * Promotes `to` (docs/regions.md, runbook regional-failover.md):
 * 1. reads every region's role; `to` must answer, the others may be down;
 * 2. fences the old active region if it answers: its role becomes "draining to `to`" under the next epoch, so it
 *    refuses every write from now on (transactions at once, single writes within the cache);
 * 3. waits for what it wrote before the fence to replicate to `to` (skipped when it did not answer: what it had not
 *    replicated comes back with it, and reconciliation after failback finds what that cost);
 * 4. makes `to` active under that epoch;
 * 5. marks the orders `to` finds in flight as inherited, so its recovery resumes them at once.
 */
export async function promote(options: PromotionOptions): Promise<PromotionReport> {
  const log = options.log ?? (() => undefined);
  const now = options.now ?? (() => new Date());
  const target = options.tables.find((table) => table.region === options.to);
  if (!target) throw new PromotionError(`${options.to} is not one of the table's regions`);
  const readings = await readRoles(options.tables, options.primaryRegion);
  const targetReading = readings.find((reading) => reading.region === options.to)!;
  if (!targetReading.answered) throw new PromotionError(`${options.to} does not answer: ${targetReading.error}`);
  // The newest role any region knows of: an old region may not have heard of the last promotion.
  const current = newestRole(readings.flatMap((reading) => (reading.answered ? [reading.role] : [])));
  const unreachable = readings.filter((reading) => !reading.answered).map((reading) => reading.region);
  if (writesIn(current, options.to)) {
    log(`${options.to} is already the active region (epoch ${current.epoch}): nothing to do`);
    return {
      from: options.to,
      to: options.to,
      epoch: current.epoch,
      fenced: [],
      drain: 'nothing to drain',
      drainMs: 0,
      unreachable,
      inherited: 0,
      changedAt: current.changedAt,
    };
  }
  const from = current.state === 'draining' ? (current.previousRegion ?? current.activeRegion) : current.activeRegion;
  const oldTable = options.tables.find((table) => table.region === from);
  const oldReading = readings.find((reading) => reading.region === from);
  const started = Date.now();
  let drain: PromotionReport['drain'] = 'old region unreachable';
  let staged = current;
  const fenced: string[] = [];
  if (oldTable && oldReading?.answered && from !== options.to) {
    if (current.state !== 'draining') {
      staged = drainingRole(current, options.to, now());
      await replaceRole(oldTable, oldReading.role.epoch === current.epoch ? current : oldReading.role, staged);
      log(`fenced ${from}: it refuses writes from now on (epoch ${staged.epoch}, draining to ${options.to})`);
    }
    fenced.push(from);
    drain = await (options.drained ?? fenceVisible(target, staged, options))(from, options.to);
    log(`replication from ${from} to ${options.to}: ${drain} after ${Date.now() - started} ms`);
    if (drain === 'timeout' && !options.force) {
      throw new PromotionError(
        `${from} is fenced but its writes did not reach ${options.to} within the wait: retry, or --force and ` +
          `reconcile after failback`,
      );
    }
  } else if (from !== options.to) {
    log(`${from} does not answer: promoting without draining it (fence it with "fence" when it is back)`);
  }
  const drainMs = Date.now() - started;
  // The target's own view: the draining role if it replicated, else whatever the target last held.
  const targetRole = await readRole(target, options.primaryRegion);
  const active = promotedRole(staged, options.to, now());
  await replaceRole(target, targetRole, active);
  log(`${options.to} is the active region (epoch ${active.epoch}) since ${active.changedAt}`);
  const inherited = await markInherited(target, active.epoch);
  log(`${inherited} in-flight order(s) inherited: the recovery job resumes them at once`);
  return {
    from,
    to: options.to,
    epoch: active.epoch,
    fenced,
    drain,
    drainMs,
    unreachable,
    inherited,
    changedAt: active.changedAt,
  };
}

/** The default drain: the fence written in the old region is visible in the new one, then `settleMs` more. */
function fenceVisible(target: RegionTable, staged: RegionRole, options: PromotionOptions) {
  return async (): Promise<'drained' | 'timeout'> => {
    const deadline = Date.now() + (options.maxWaitMs ?? 300_000);
    while (Date.now() < deadline) {
      const role = await readRole(target, options.primaryRegion).catch(() => undefined);
      if (role && role.epoch >= staged.epoch) {
        await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 5000));
        return 'drained';
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return 'timeout';
  };
}

/** Stamps `inheritedEpoch` on every order in flight in `table` (status unchanged since it was listed). */
async function markInherited(table: RegionTable, epoch: number): Promise<number> {
  const store = new DynamoDbOrderStore(table.client, table.tableName);
  let marked = 0;
  for (const status of inFlightStatuses) {
    let cursor: string | undefined;
    do {
      const page = await store.listByStatus(status, { limit: 100, ...(cursor ? { cursor } : {}) });
      for (const order of page.orders) {
        try {
          await table.client.send(
            new UpdateCommand({
              TableName: table.tableName,
              Key: keys.order(order.orderId),
              UpdateExpression: 'SET inheritedEpoch = :epoch',
              ConditionExpression: '#status = :status',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':epoch': epoch, ':status': status },
            }),
          );
          marked++;
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  return marked;
}

/**
 * Brings a region that was down back as a standby before it serves again: writes the newest role known to the
 * others into its replica, so it refuses writes even before replication catches up with it.
 */
export async function fenceRegion(
  region: string,
  tables: readonly RegionTable[],
  primaryRegion: string,
  log: (line: string) => void = () => undefined,
): Promise<RegionRole> {
  const table = tables.find((candidate) => candidate.region === region);
  if (!table) throw new PromotionError(`${region} is not one of the table's regions`);
  const readings = await readRoles(tables, primaryRegion);
  const own = readings.find((reading) => reading.region === region)!;
  if (!own.answered) throw new PromotionError(`${region} does not answer: ${own.error}`);
  const newest = newestRole(readings.flatMap((reading) => (reading.answered ? [reading.role] : [])));
  if (newest.epoch === own.role.epoch) {
    log(`${region} already holds the newest role (epoch ${newest.epoch}, ${newest.activeRegion} ${newest.state})`);
    return newest;
  }
  try {
    await replaceRole(table, own.role, newest);
  } catch (error) {
    // Replication may have brought the newest role meanwhile: that is the fence too.
    const now = await readRole(table, primaryRegion);
    if (!(error instanceof PromotionError) || now.epoch < newest.epoch) throw error;
  }
  log(`${region} now holds epoch ${newest.epoch}: ${newest.activeRegion} writes, ${region} is a standby`);
  return newest;
}
