import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../data/table-design';
import type {
  HoldEntry,
  OrderEntry,
  ProductStockEntry,
  ShardStockEntry,
  StockMovementEntry,
  StoreSnapshot,
} from '../../domain/invariants';
import type { SnapshotSource } from '../../domain/ports';
import { scanSegments, type Item } from './pagination';
import { holdShares, parseStockShardKey, shardCountOf } from './stock-state';

const orderPartition = keys.order('').PK;
const productPartition = keys.product('').PK;

/**
 * Reads the whole table for the reconciliation job. This is the one Scan in the system, and it is deliberate: the
 * job is a scheduled batch that must see every product, movement, hold and order, whatever their status or age, and
 * no index covers "everything". It never runs on a request path. Segments are scanned in parallel (Segment /
 * TotalSegments), each page by page, with strongly consistent reads so the pass sees every write acknowledged
 * before it started. Memory grows with the table: the entries kept are a few numbers and ids per item.
 */
export class DynamoDbSnapshotReader implements SnapshotSource {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly segments = 4,
  ) {}

  async load(): Promise<StoreSnapshot> {
    const snapshot = {
      products: [] as ProductStockEntry[],
      shards: [] as ShardStockEntry[],
      movements: [] as StockMovementEntry[],
      holds: [] as HoldEntry[],
      orders: [] as OrderEntry[],
    };
    await scanSegments(
      this.client,
      {
        TableName: this.tableName,
        ConsistentRead: true,
        // History entries are most of the items and say nothing the checks need. The filter saves transfer and
        // memory only: DynamoDB charges for the items read before filtering.
        FilterExpression: 'NOT begins_with(SK, :history)',
        ExpressionAttributeValues: { ':history': keys.orderHistoryPrefix },
      },
      this.segments,
      (item) => sort(item, snapshot),
    );
    return snapshot;
  }
}

/** Classifies an item by its keys (the layout in table-design.ts); anything else in the table is not checked. */
function sort(item: Item, snapshot: { [K in keyof StoreSnapshot]-?: NonNullable<StoreSnapshot[K]>[number][] }): void {
  const pk = String(item.PK);
  const sk = String(item.SK);
  if (pk.startsWith(orderPartition)) {
    const orderId = pk.slice(orderPartition.length);
    if (sk === keys.order(orderId).SK) snapshot.orders.push(toOrder(orderId, item));
    else if (sk.startsWith(keys.holdPrefix)) {
      const shards = holdShares(item);
      snapshot.holds.push({
        orderId,
        productId: sk.slice(keys.holdPrefix.length),
        quantity: Number(item.quantity),
        ...(shards ? { shards } : {}),
      });
    }
  } else if (pk.startsWith(productPartition)) {
    const shard = parseStockShardKey(pk, sk);
    const productId = pk.slice(productPartition.length);
    if (shard) {
      snapshot.shards.push({ ...shard, available: Number(item.available), sold: Number(item.sold ?? 0) });
    } else if (sk === keys.product(productId).SK) {
      const stockShards = shardCountOf(item);
      snapshot.products.push({
        productId,
        available: Number(item.available),
        // Products that never sold anything have no `sold` attribute: fulfilment creates it with ADD.
        sold: item.sold === undefined ? 0 : Number(item.sold),
        ...(stockShards > 1 ? { stockShards } : {}),
      });
    } else if (sk.startsWith(keys.stockMovementPrefix)) {
      snapshot.movements.push({ productId, delta: Number(item.delta) });
    }
  }
}

function toOrder(orderId: string, item: Item): OrderEntry {
  const lines = Array.isArray(item.items) ? (item.items as Item[]) : [];
  const total = (item.total ?? {}) as Item;
  return {
    orderId,
    status: String(item.status),
    items: lines.map((line) => ({ productId: String(line.productId), quantity: Number(line.quantity) })),
    total: { amount: Number(total.amount), currency: String(total.currency) },
    createdAt: String(item.createdAt),
    updatedAt: String(item.updatedAt),
    ...(typeof item.paymentAuthorizationId === 'string' ? { paymentAuthorizationId: item.paymentAuthorizationId } : {}),
    ...(item.attention === undefined ? {} : { attention: describeAttention(item.attention) }),
    ...(typeof (item.paymentAction as Item | undefined)?.expiresAt === 'string'
      ? { heldUntil: (item.paymentAction as Item).expiresAt as string }
      : {}),
    ...(item.status === 'REVIEW' && typeof item.reviewDeadline === 'string' ? { heldUntil: item.reviewDeadline } : {}),
  };
}

/** The flag's reason when it has one: any value of the attribute flags the order. */
function describeAttention(value: unknown): string {
  if (typeof value === 'string') return value || 'flagged';
  if (value && typeof value === 'object') {
    const { reason, at } = value as { reason?: unknown; at?: unknown };
    if (typeof reason === 'string') return typeof at === 'string' ? `${reason} (since ${at})` : reason;
  }
  return 'flagged';
}
