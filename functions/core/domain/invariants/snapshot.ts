import type { Money } from '../money';
import type { PaymentRecord } from '../ports';

export const invariantNames = ['stock-balance', 'hold-status', 'payment-status', 'order-progress'] as const;
export type InvariantName = (typeof invariantNames)[number];

export interface Violation {
  readonly invariant: InvariantName;
  /** Which rule of the invariant failed (a runbook section). */
  readonly rule: string;
  /** The entities involved, most significant first: the product, or the order (then products or payments). */
  readonly ids: readonly string[];
  readonly detail: string;
}

export interface ProductStockEntry {
  readonly productId: string;
  /** The product item's own counters; a sharded product's shards are in `StoreSnapshot.shards`. */
  readonly available: number;
  readonly sold: number;
  /** Over how many shards the available stock is split; absent or 1: none, it is all on the product item. */
  readonly stockShards?: number;
}

/** One shard of a sharded product's stock (domain/stock-shards.ts). */
export interface ShardStockEntry {
  readonly productId: string;
  readonly shard: number;
  readonly available: number;
  readonly sold: number;
}

export interface StockMovementEntry {
  readonly productId: string;
  readonly delta: number;
}

export interface HoldEntry {
  readonly orderId: string;
  readonly productId: string;
  readonly quantity: number;
  /** The shards the units were taken from, for a sharded product; they add up to `quantity`. */
  readonly shards?: readonly { readonly shard: number; readonly quantity: number }[];
}

export interface OrderEntry {
  readonly orderId: string;
  /** As stored: a value outside the known statuses is itself a finding. */
  readonly status: string;
  readonly items: readonly { readonly productId: string; readonly quantity: number }[];
  readonly total: Money;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly paymentAuthorizationId?: string;
  /** Present when the order was flagged for an operator; holds the flag's reason when it has one. */
  readonly attention?: string;
  /**
   * Until when an order may wait in a held status (ACTION_REQUIRED: its customer's authentication deadline); the
   * recovery job decides it after that.
   */
  readonly heldUntil?: string;
}

/** What the tables hold, read as one pass. */
export interface StoreSnapshot {
  readonly products: readonly ProductStockEntry[];
  /** Stock shard items; absent when the table holds none. */
  readonly shards?: readonly ShardStockEntry[];
  readonly movements: readonly StockMovementEntry[];
  readonly holds: readonly HoldEntry[];
  readonly orders: readonly OrderEntry[];
}

export interface ReconciliationSnapshot extends StoreSnapshot {
  /** The clock reading every age is measured against. */
  readonly takenAt: string;
  /** The payments were listed from this time on: older ones are not in `payments`. */
  readonly paymentsSince: string;
  readonly payments: readonly PaymentRecord[];
}

export interface InvariantPolicy {
  /** The order saga's own time limit: past it, no execution can still be moving the order. */
  readonly sagaTimeLimitSeconds: number;
  /** The cancellation workflow's time limit: it compensates after the order became CANCELLED. */
  readonly cancellationTimeLimitSeconds: number;
  /** Slack on top of both limits: start latency, retries that began just before the deadline, clock skew. */
  readonly graceSeconds: number;
}

export interface AttentionEntry {
  readonly orderId: string;
  readonly status: string;
  readonly attention: string;
  /** Findings on the order that the flag acknowledges: not counted as violations. */
  readonly findings: readonly Violation[];
}

export interface ReconciliationCounts {
  readonly products: number;
  readonly movements: number;
  readonly holds: number;
  readonly orders: number;
  readonly ordersByStatus: Readonly<Record<string, number>>;
  readonly payments: number;
  readonly attention: number;
  readonly violations: number;
  readonly violationsByInvariant: Readonly<Record<InvariantName, number>>;
  /** Units promised to orders beyond the units stocked, over every product (`ReconciliationReport.oversold`). */
  readonly oversoldUnits: number;
}

export interface ReconciliationReport {
  readonly checkedAt: string;
  readonly paymentsSince: string;
  readonly violations: readonly Violation[];
  /** Orders flagged for attention, listed apart: an operator already owns them. */
  readonly attention: readonly AttentionEntry[];
  /**
   * Products whose held and sold units exceed every unit ever stocked, by how many: stock sold twice, which only a
   * regional failover's replication lag can cause (docs/regions.md). Each is also an `unbalanced` violation.
   */
  readonly oversold: readonly { readonly productId: string; readonly units: number }[];
  readonly counts: ReconciliationCounts;
}
