/**
 * The single-table design: keys, indexes, TTL and streams. The CDK data stack (TableV2) and the local runtime
 * (CreateTable on DynamoDB Local) are both built from this one description, so they cannot drift apart.
 */
export interface KeySchema {
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface GlobalIndexDesign extends KeySchema {
  readonly indexName: string;
  /** Why the index exists: the access pattern it serves (documented in docs/access-patterns.md). */
  readonly serves: string;
  /**
   * What the index copies besides the keys. Every write that changes a projected attribute rewrites the index entry
   * (1 WRU per KB, twice when the key changes), so the indexes carry keys and only attributes no later write
   * changes: an order's status changes three times on its way to CONFIRMED and would rewrite a full copy each
   * time. Listings fetch the items behind a page with BatchGetItem (a read unit costs a fifth of a write unit) and
   * filter there; they work the same on a table whose indexes still project ALL (docs/deploy.md, "Index
   * projections").
   */
  readonly projectedAttributes: readonly string[];
}

export interface TableDesign extends KeySchema {
  /** Logical name; the physical name is chosen per environment. */
  readonly logicalName: string;
  readonly globalIndexes: readonly GlobalIndexDesign[];
  readonly timeToLiveAttribute: string;
  readonly stream: 'NEW_AND_OLD_IMAGES' | 'NONE';
}

export const ordersTableDesign: TableDesign = {
  logicalName: 'Orders',
  partitionKey: 'PK',
  sortKey: 'SK',
  globalIndexes: [
    {
      indexName: 'GSI1',
      partitionKey: 'GSI1PK',
      sortKey: 'GSI1SK',
      serves:
        "a customer's orders newest first (CUSTOMER#<sub>); the catalog listing (CATALOG); products to reorder (REORDER)",
      // What CheckRisk's history features read of a customer's earlier orders (up to 50 per order checked), read
      // from the index alone. All of it is fixed when the order is placed, so no later write touches the entry.
      projectedAttributes: ['orderId', 'createdAt', 'total', 'paymentMethod', 'shippingAddress'],
    },
    {
      indexName: 'GSI2',
      partitionKey: 'GSI2PK',
      sortKey: 'GSI2SK',
      serves: 'orders by status and date for admins, write-sharded (STATUS#<status>#<shard>)',
      projectedAttributes: [],
    },
  ],
  timeToLiveAttribute: 'expiresAt',
  stream: 'NEW_AND_OLD_IMAGES',
};

/**
 * The idempotency table, in the layout Powertools idempotency expects: one item per (scope, key) hash, removed by
 * TTL after its expiry. Kept apart from the orders table so its writes never compete with stock and orders.
 */
export const idempotencyTableDesign = {
  logicalName: 'Idempotency',
  partitionKey: 'id',
  timeToLiveAttribute: 'expiration',
} as const;

/** Key builders: the only place that knows how entities are laid out in the table. */
export const keys = {
  order: (orderId: string) => ({ PK: `ORDER#${orderId}`, SK: 'ORDER' }),
  orderHistory: (orderId: string, entryId: string) => ({ PK: `ORDER#${orderId}`, SK: `HISTORY#${entryId}` }),
  orderHistoryPrefix: 'HISTORY#',
  hold: (orderId: string, productId: string) => ({ PK: `ORDER#${orderId}`, SK: `HOLD#${productId}` }),
  holdPrefix: 'HOLD#',
  product: (productId: string) => ({ PK: `PRODUCT#${productId}`, SK: 'PRODUCT' }),
  stockMovement: (productId: string, entryId: string) => ({ PK: `PRODUCT#${productId}`, SK: `STOCK#${entryId}` }),
  stockMovementPrefix: 'STOCK#',
  /**
   * One shard of a sharded product's available stock (`stockShards` > 1). Each shard is a partition key of its own,
   * so shards spread over partitions from the first write instead of waiting for DynamoDB to split a hot one.
   * Product ids never contain `#`, so these keys cannot collide with a product's own.
   */
  stockShard: (productId: string, shard: number) => ({ PK: `PRODUCT#${productId}#SHARD#${shard}`, SK: 'SHARD' }),
  stockShardSortKey: 'SHARD',
  catalogPartition: 'CATALOG',
  customerPartition: (customerId: string) => `CUSTOMER#${customerId}`,
  customerOfPartition: (partition: string) => partition.slice('CUSTOMER#'.length),
  statusShardCount: 8,
  /**
   * An order whose compensations must be (re)run later: a cancellation until its workflow completed, or a failed
   * payment whose outcome was unknown until the provider's late answers have settled. Sharded like the status index.
   */
  pendingCompensation: (shard: number, orderId: string) => ({ PK: `COMPENSATION#${shard}`, SK: `ORDER#${orderId}` }),
  pendingCompensationPartition: (shard: number) => `COMPENSATION#${shard}`,
  statusPartition: (status: string, shard: number) => `STATUS#${status}#${shard}`,
  /** The status index's one partition name for every in-flight status (item-mapping.ts, `statusIndexPartition`). */
  inFlightIndexStatus: 'IN_FLIGHT',
  /** The migration ledger: one item per applied data migration, all in one partition (docs/access-patterns.md). */
  migrationPartition: 'MIGRATION',
  migration: (migrationId: string) => ({ PK: 'MIGRATION', SK: migrationId }),
  /**
   * The partner registry (docs/access-patterns.md): every partner in one small partition, listed by operators, and
   * one item per app client that API functions read (cached) to turn a token's client id into its partner.
   */
  partnerPartition: 'PARTNER',
  partner: (partnerId: string) => ({ PK: 'PARTNER', SK: `PARTNER#${partnerId}` }),
  partnerClient: (clientId: string) => ({ PK: `PARTNERCLIENT#${clientId}`, SK: 'PARTNERCLIENT' }),
  /**
   * Sales history (docs/access-patterns.md): one item per product and UTC day with the units sold and the revenue,
   * so a product's history is one Query; and one ledger item per order counted, which makes counting idempotent.
   */
  salesPartition: (productId: string) => `SALES#${productId}`,
  salesDay: (productId: string, day: string) => ({ PK: `SALES#${productId}`, SK: `DAY#${day}` }),
  salesDayPrefix: 'DAY#',
  salesLedger: (orderId: string) => ({ PK: `SALESLEDGER#${orderId}`, SK: 'SALESLEDGER' }),
  /**
   * A customer email sent (or being sent) for one order event (docs/customer-emails.md): written conditionally, so
   * a redelivered event sends nothing twice; removed by TTL after the event's redelivery window.
   */
  customerEmail: (orderId: string, eventType: string) => ({ PK: `EMAIL#${orderId}`, SK: `EMAIL#${eventType}` }),
  /** The latest demand forecast of a product, overwritten by each run of the forecast job. */
  forecast: (productId: string) => ({ PK: `FORECAST#${productId}`, SK: 'FORECAST' }),
  /** GSI1 partition of the forecasts whose product was below its reorder point at the last run (sparse). */
  reorderPartition: 'REORDER',
  /**
   * Partner webhooks (docs/webhooks.md): an owner's endpoints in one partition (`partner:<id>` or `admins`), read
   * with one Query by the fan-out, with a counter item that caps them; each endpoint's deliveries in a partition of
   * its own, sorted by event time (the delivery id starts with it), removed by TTL after 30 days.
   */
  webhookEndpointPartition: (ownerId: string) => `ENDPOINTS#${ownerId}`,
  webhookEndpoint: (ownerId: string, webhookId: string) => ({
    PK: `ENDPOINTS#${ownerId}`,
    SK: `ENDPOINT#${webhookId}`,
  }),
  webhookEndpointPrefix: 'ENDPOINT#',
  webhookEndpointCount: (ownerId: string) => ({ PK: `ENDPOINTS#${ownerId}`, SK: 'COUNT' }),
  webhookDeliveryPartition: (webhookId: string) => `DELIVERIES#${webhookId}`,
  webhookDelivery: (webhookId: string, deliveryId: string) => ({
    PK: `DELIVERIES#${webhookId}`,
    SK: `DELIVERY#${deliveryId}`,
  }),
  webhookDeliveryPrefix: 'DELIVERY#',
  /**
   * Which region accepts writes, and under which epoch (docs/regions.md). One item in the global table; only the
   * region command writes it, every write of the service checks it.
   */
  regionRole: { PK: 'REGION', SK: 'ROLE' },
  /** Reconciliation's latest finding of stock sold twice for a product; it carries `inventory.oversold`. */
  oversold: (productId: string) => ({ PK: `OVERSOLD#${productId}`, SK: 'OVERSOLD' }),
  /** A key that never holds an item: the readiness check reads it to prove the table answers. */
  readinessProbe: { PK: 'READINESS', SK: 'PROBE' },
} as const;
