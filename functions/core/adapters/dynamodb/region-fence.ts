import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import { RegionNotActiveError } from '../../domain/errors';
import { initialRole, writesIn, type RegionRole } from '../../domain/region-role';

export interface RegionFenceOptions {
  /** False where the table has no replica: every write goes through unchecked, and the region is always active. */
  readonly enabled: boolean;
  readonly tableName: string;
  /** This process's region. */
  readonly region: string;
  /** Active while no promotion has written a role. */
  readonly primaryRegion: string;
  /** How long a role read stays good for the single-item writes (transactions check the item itself). */
  readonly cacheMs: number;
  readonly now?: () => number;
}

const singleWrites = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

/**
 * Write fencing (docs/regions.md): exactly one region of the global table writes. Installed on the document client
 * every adapter shares, so no write path can forget it:
 * - A transaction (orders, stock, refunds, webhooks: every state change) gets one more item, a ConditionCheck that
 *   the role item in this region still names this region active under the epoch read, so the check and the write
 *   are atomic in this region's replica. A promotion that bumped the epoch makes it fail; the role is read again, and
 *   the write goes through once only if this region is still the active one.
 * - A single-item write (bookkeeping: delivery attempts, email ledger, forecasts, flags) is checked against the
 *   role read at most `cacheMs` ago: not atomic, which the docs spell out.
 * - Reads are never fenced: a standby serves them.
 * A refused write throws RegionNotActiveError (503 with Retry-After).
 */
export class RegionFence {
  private cached?: { readonly role: RegionRole; readonly at: number };
  private resolved?: RegionFenceOptions;

  /** `options` is read on first use: a function that never writes never needs the variables behind it. */
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly resolveOptions: () => RegionFenceOptions,
  ) {}

  private get options(): RegionFenceOptions {
    this.resolved ??= this.resolveOptions();
    return this.resolved;
  }

  /** The region this process runs in. */
  get region(): string {
    return this.options.region;
  }

  /** The role as this region's replica sees it (a consistent read, cached `cacheMs`). */
  async role(fresh = false): Promise<RegionRole> {
    const { enabled, region, primaryRegion, tableName, cacheMs } = this.options;
    if (!enabled) return initialRole(region);
    const now = (this.options.now ?? Date.now)();
    if (!fresh && this.cached && now - this.cached.at < cacheMs) return this.cached.role;
    const { Item } = await this.client.send(
      new GetCommand({ TableName: tableName, Key: keys.regionRole, ConsistentRead: true }),
    );
    const role = Item ? roleFromItem(Item) : initialRole(primaryRegion);
    this.cached = { role, at: now };
    return role;
  }

  async writesHere(fresh = false): Promise<boolean> {
    return writesIn(await this.role(fresh), this.options.region);
  }

  /** Adds the fence to `client`'s middleware: every write command to the table passes through `guard`. */
  install(client: DynamoDBDocumentClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, unknown>;
        const command = context.commandName ?? '';
        if (!this.options.enabled) return next(args);
        if (command === 'TransactWriteItemsCommand' && touchesTable(input, this.options.tableName)) {
          return this.transact(input, (fenced) => next({ ...args, input: fenced }));
        }
        if (singleWrites.has(command) && touchesTable(input, this.options.tableName)) {
          if (!(await this.writesHere())) throw new RegionNotActiveError();
        }
        return next(args);
      },
      { step: 'initialize', name: 'regionFence', priority: 'high' },
    );
  }

  private async transact<Output>(
    input: Record<string, unknown>,
    send: (fenced: Record<string, unknown>) => Promise<Output>,
  ): Promise<Output> {
    for (let attempt = 0; ; attempt++) {
      // A cached role that refuses is read again once: this region may have been promoted a moment ago.
      const role = await this.role(attempt > 0);
      if (!writesIn(role, this.options.region)) {
        if (attempt === 0) continue;
        throw new RegionNotActiveError();
      }
      const items = input.TransactItems as unknown[];
      try {
        return await send({ ...input, TransactItems: [...items, this.conditionCheck(role, marshalled(items))] });
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        const fenceFailed = reasons.length === items.length + 1 && reasons.at(-1)?.Code === 'ConditionalCheckFailed';
        // The caller matches reasons to its own items by position: it never sees the fence's.
        if (reasons.length === items.length + 1) error.CancellationReasons = reasons.slice(0, items.length);
        if (!fenceFailed) throw error;
        // The role changed since it was read: once more with a fresh read, then refuse.
        if (attempt > 0) throw new RegionNotActiveError({ cause: error });
      }
    }
  }

  /** The role item as read: unchanged (an absent item for the initial role), in this region, active. */
  private conditionCheck(role: RegionRole, lowLevel: boolean) {
    const value = (raw: string | number) =>
      lowLevel ? (typeof raw === 'number' ? { N: String(raw) } : { S: raw }) : raw;
    const key = lowLevel ? { PK: { S: keys.regionRole.PK }, SK: { S: keys.regionRole.SK } } : { ...keys.regionRole };
    const check =
      role.epoch === 0
        ? { ConditionExpression: 'attribute_not_exists(PK)' }
        : {
            ConditionExpression: 'activeRegion = :fenceRegion AND epoch = :fenceEpoch AND #fenceState = :fenceActive',
            ExpressionAttributeNames: { '#fenceState': 'state' },
            ExpressionAttributeValues: {
              ':fenceRegion': value(this.options.region),
              ':fenceEpoch': value(role.epoch),
              ':fenceActive': value('active'),
            },
          };
    return { ConditionCheck: { TableName: this.options.tableName, Key: key, ...check } };
  }
}

export function roleFromItem(item: Record<string, unknown>): RegionRole {
  return {
    activeRegion: String(item.activeRegion),
    epoch: Number(item.epoch),
    state: item.state === 'draining' ? 'draining' : 'active',
    changedAt: String(item.changedAt),
    ...(typeof item.previousRegion === 'string' ? { previousRegion: item.previousRegion } : {}),
  };
}

export function roleItem(role: RegionRole): Record<string, unknown> {
  return { ...keys.regionRole, entity: 'regionRole', ...role };
}

function touchesTable(input: Record<string, unknown>, tableName: string): boolean {
  if (input.TableName === tableName) return true;
  if (input.RequestItems && typeof input.RequestItems === 'object') return tableName in input.RequestItems;
  const items = input.TransactItems;
  return (
    Array.isArray(items) &&
    items.some((item: Record<string, { TableName?: string } | undefined>) =>
      Object.values(item).some((operation) => operation?.TableName === tableName),
    )
  );
}

/** A low-level command's items carry attribute values (`{ S: ... }`); the document client's carry plain ones. */
function marshalled(items: readonly unknown[]): boolean {
  const first = items[0] as Record<string, { Key?: Record<string, unknown>; Item?: Record<string, unknown> }>;
  const operation = first && Object.values(first)[0];
  const sample = operation?.Key?.PK ?? operation?.Item?.PK;
  return typeof sample === 'object' && sample !== null;
}
