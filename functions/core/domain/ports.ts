import type { DomainEvent } from './events';
import type { StoreSnapshot } from './invariants';
import type { Money } from './money';
import type {
  Actor,
  FailureReason,
  HeldDecision,
  Order,
  OrderStatus,
  PaymentAction,
  Refund,
  RiskRecord,
} from './order';
import type { Product } from './product';
import type { PaymentFact } from './payment-webhook';

/** The ports the domain talks to; adapters implement them per external service (and tests inject fakes). */

export interface TransitionChanges {
  readonly failureReason?: FailureReason;
  readonly paymentAuthorizationId?: string;
  /** The customer action the provider asks for (moving to ACTION_REQUIRED), or what is left of it once done. */
  readonly paymentAction?: PaymentAction;
  /** Until when the order may wait for its review (moving to REVIEW). */
  readonly reviewDeadline?: string;
  /** Why the transition happened, kept in the order's history. */
  readonly reason?: string;
  /** Who asked for it, kept in the order's history; absent for the saga's own steps. */
  readonly actor?: Actor;
  /** Records, in the same write, that the order's compensations must still complete (see `CompensationSchedule`). */
  readonly pendingCompensation?: CompensationTiming;
  /** The flow that asked for the transition, carried by its event; the order's own (the placing request's) if absent. */
  readonly correlationId?: string;
  /**
   * The event the transition announces, written in the same transaction (the outbox). By default the status's own
   * (`transitionEvent`); a transition that announces something more specific (a refund) builds it from the moved order.
   */
  readonly event?: (next: Order) => DomainEvent;
}

export interface CompensationTiming {
  /** When the recovery job (re)runs the compensations if they have not completed by then. */
  readonly checkAfter: string;
  /** Compensations that finish before this instant do not settle the order: a late provider answer may still come. */
  readonly settledAfter: string;
}

export interface PendingCompensation extends CompensationTiming {
  readonly orderId: string;
}

/**
 * Orders whose compensations must complete even if the process running them dies: each entry is written with the
 * decision (a cancellation, a payment whose outcome is unknown) and removed by the compensation that completes it.
 */
export interface CompensationSchedule {
  schedule(orderId: string, timing: CompensationTiming): Promise<void>;
  /** Removes the entry if it is settled (its `settledAfter` has passed); true when no entry is left. */
  complete(orderId: string): Promise<boolean>;
  /**
   * Entries whose `checkAfter` has passed, at most `limit`. After a restart that no execution survived, entries
   * whose `settledAfter` has passed are due as well: their workflow died with the process.
   */
  due(limit: number, options?: { readonly afterRestart?: boolean }): Promise<PendingCompensation[]>;
}

export interface OrderStore {
  /** How many orders the customer placed from `since` up to (not including) `order`. */
  countRecentOrders(order: Order, since: string): Promise<number>;
  /**
   * Records CheckRisk's decision on a PENDING order and bumps its version; the first decision recorded wins, so a
   * replayed step changes nothing. Returns false when nothing was written (already recorded, or no longer PENDING).
   */
  recordRisk(orderId: string, risk: RiskRecord): Promise<boolean>;
  /** Marks an order as waiting for an operator; idempotent. */
  flagForAttention(orderId: string, reason: string): Promise<void>;
  /** Stores a new order with its order.placed entry; false, writing nothing, when an order with its id exists. */
  create(order: Order): Promise<boolean>;
  get(orderId: string): Promise<Order | undefined>;
  /** Moves `order` to `to`, conditional on the order still being exactly as read; replays are no-ops. */
  transition(order: Order, to: OrderStatus, changes?: TransitionChanges): Promise<Order>;
  /**
   * Records the decision to fail an order still in flight (first reason wins) and bumps its version, so a forward
   * step that read it before cannot move it on. Returns the order as it is now; orders already terminal are unchanged.
   */
  markFailing(orderId: string, reason: FailureReason): Promise<Order | undefined>;
  history(orderId: string): Promise<OrderHistoryEntry[]>;
  /**
   * Records the decision on a held order (see `heldStatuses`), conditional on the order still being in the status it
   * was read in and having no decision yet; an `abandon` also records the failure decision (its reason). Returns the
   * order as written, or undefined when another writer decided first (or the order moved on): only the caller that
   * got the order back may start the continuation workflow.
   */
  decideHeld(order: Order, decision: HeldDecision): Promise<Order | undefined>;
  /**
   * Appends `refund` to the order, adds its amount to `refundedAmount` and moves it to `to` (PARTIALLY_REFUNDED or
   * REFUNDED) with a history entry naming the actor and reason, conditional on the order being exactly as read. A
   * refund already on the order (same `refundId`: a replayed request) is not recorded again.
   */
  /** Records a refund with its status move; `event` builds what it announces from the refunded order (the outbox). */
  recordRefund(order: Order, refund: Refund, to: OrderStatus, event: (refunded: Order) => DomainEvent): Promise<Order>;
  /**
   * The customer's orders placed before `order` (and at the same time, other than itself), newest first, at most
   * `limit`: what the fraud model's history features read, all of it fixed at placement.
   */
  earlierOrders(order: Order, limit: number): Promise<EarlierOrder[]>;
  /** A customer's orders, newest first, optionally only those in one status or placed within [from, to]. */
  listForCustomer(
    customerId: string,
    options: OrderListOptions & { readonly status?: OrderStatus; readonly from?: string; readonly to?: string },
  ): Promise<OrderPage>;
  /**
   * Orders in one status across customers, newest first (oldest first with `oldestFirst`: a queue), optionally placed
   * within [from, to] (ISO times). A cursor continues in the direction it was made in.
   */
  listByStatus(
    status: OrderStatus,
    options: OrderListOptions & { readonly from?: string; readonly to?: string; readonly oldestFirst?: boolean },
  ): Promise<OrderPage>;
}

/** An earlier order of a customer, as much of it as never changes after placement and the risk features read. */
export type EarlierOrder = Pick<Order, 'orderId' | 'createdAt' | 'total' | 'paymentMethod' | 'shippingAddress'>;

export interface OrderListOptions {
  readonly limit: number;
  /** The `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface OrderPage {
  readonly orders: Order[];
  readonly nextCursor?: string;
}

export interface OrderHistoryEntry {
  readonly status: OrderStatus;
  readonly at: string;
  readonly reason?: string;
  readonly actor?: Actor;
}

export interface StockMovement {
  readonly delta: number;
  readonly reason: string;
  readonly actor: string;
  readonly at: string;
}

export interface CatalogStore {
  get(productId: string): Promise<Product | undefined>;
  /**
   * Catalog data for pricing. A product with sharded stock (`stockShards` > 1) is read without its shards: its
   * `available` and `sold` are then the product item's own (0 available). `get` and `list` give the totals.
   */
  getMany(productIds: readonly string[]): Promise<Map<string, Product>>;
  list(limit: number, cursor?: string): Promise<{ products: Product[]; nextCursor?: string }>;
  /** Adds a product and records its initial stock as the first stock movement, by `actor`. */
  create(product: Product, actor: string): Promise<void>;
  /** Changes catalog fields or the stock's shard count; returns the product as it is now. */
  update(productId: string, changes: ProductChanges): Promise<Product>;
  /** Moves the stock on the shelf by `delta`, recorded with `reason` and `actor`; returns the product as it is now. */
  adjustStock(productId: string, delta: number, reason: string, actor: string): Promise<Product>;
}

export interface ProductChanges {
  readonly name?: string;
  readonly description?: string;
  readonly price?: Money;
  readonly active?: boolean;
  /** Over how many shard items the available stock is split (1: on the product item). */
  readonly stockShards?: number;
}

/** The public catalog reads, which a cache may serve. */
export type CatalogReader = Pick<CatalogStore, 'get' | 'list'>;

export interface InventoryStore {
  /** Reserves every line of a PENDING order and moves it to RESERVED, all or nothing. */
  reserve(order: Order): Promise<Order>;
  /** Returns held stock of the order to the shelf; lines already settled are skipped. Returns units released. */
  release(order: Order): Promise<number>;
  /** Turns a CONFIRMED order's holds into sold stock and marks it FULFILLED, all or nothing. */
  commit(order: Order, correlationId?: string): Promise<Order>;
}

export interface AuthorizationRequest {
  readonly reference: string;
  readonly amount: Money;
  readonly paymentToken: string;
  readonly idempotencyKey: string;
  /** Sent with the request (`x-correlation-id`), so the provider's request logs can be matched with ours. */
  readonly correlationId?: string;
}

/** A payment as the provider records it (for reconciliation). */
export interface PaymentRecord {
  readonly id: string;
  /** Our order id. */
  readonly reference: string;
  readonly amount: number;
  readonly currency: string;
  /** `partially_refunded`: captured, and part (not all) of it given back. */
  readonly status: 'authorized' | 'voided' | 'captured' | 'partially_refunded' | 'refunded';
}

export interface RefundRequest {
  /** Our order id. */
  readonly reference: string;
  /** The provider's id of the captured payment (the order's `paymentAuthorizationId`). */
  readonly authorizationId: string;
  readonly amount: Money;
  /** Derived from the order and the request, so a retried request never refunds twice. */
  readonly idempotencyKey: string;
  readonly correlationId?: string;
}

/**
 * What an authorization request ended with: an authorization (`authorizationId`, the PaymentIntent id), or, with
 * `customerAction`, a payment that waits for the customer to authenticate (3-D Secure) before it authorizes.
 */
export interface AuthorizationOutcome {
  readonly authorizationId: string;
  readonly customerAction?: { readonly clientSecret: string; readonly nextActionType?: string };
}

/** Where a payment stands at the provider now (read again, never taken from a client). */
export type PaymentState = 'authorized' | 'action_required' | 'declined' | 'voided' | 'captured';

export interface PaymentProvider {
  authorize(request: AuthorizationRequest): Promise<AuthorizationOutcome>;
  /** Reads the payment's state from the provider (after the customer's authentication, say). */
  paymentState(authorizationId: string, correlationId?: string): Promise<PaymentState>;
  /** Takes the authorized money; the idempotency key makes a repeated capture a no-op. */
  capture(authorizationId: string, idempotencyKey: string, correlationId?: string): Promise<void>;
  /**
   * Gives back every payment made for `reference`: voids live authorizations (also one whose answer was lost to a
   * timeout) and refunds captured ones. Returns how many it reversed.
   */
  reverse(
    reference: string,
    idempotencyKey: string,
    correlationId?: string,
  ): Promise<{ voided: number; refunded: number }>;
  /** Gives back `amount` of a captured payment (part or all of what is left); returns the provider's refund id. */
  refund(request: RefundRequest): Promise<{ refundId: string }>;
  /** Every payment the provider holds for us, created at or after `since` (ISO time), all pages. */
  listPayments(since: string): Promise<PaymentRecord[]>;
}

export interface EventPublisher {
  publish(events: readonly DomainEvent[]): Promise<void>;
}

/**
 * A workflow's input: ids only. Every state passes it on and the workflow logs keep it, so it must never carry payment
 * data or credentials; a step reads what else it needs from the stored order.
 */
export interface WorkflowInput {
  readonly orderId: string;
  readonly correlationId: string;
}

export interface WorkflowStarter {
  start(executionName: string, input: WorkflowInput): Promise<void>;
}

/** Where orders that need an operator are queued (an SQS dead-letter queue in AWS). */
export interface AttentionQueue {
  send(message: { orderId: string; reason: string; failedStep?: string; error?: unknown }): Promise<void>;
}

/** Reads every product, stock movement, hold and order in one pass. */
export interface SnapshotSource {
  load(): Promise<StoreSnapshot>;
}

/** A migration's item in the ledger: `running` while a runner holds it, `applied` once it finished. */
export interface LedgerEntry {
  readonly migrationId: string;
  readonly state: 'running' | 'applied';
  readonly checksum: string;
  readonly description: string;
  /** The runner that holds (or held) the claim. */
  readonly runnerId: string;
  readonly claimedAt: string;
  /** Until when a `running` claim is valid; another runner may take over a claim whose lease has run out. */
  readonly leaseExpiresAt?: string;
  readonly appliedAt?: string;
  readonly itemsTouched?: number;
  readonly durationMs?: number;
}

export interface MigrationClaim {
  readonly migrationId: string;
  readonly checksum: string;
  readonly description: string;
  readonly runnerId: string;
  readonly claimedAt: string;
  readonly leaseExpiresAt: string;
}

/**
 * Where applied migrations are recorded. Every write is conditional, so two runners (two deployments, or a deploy
 * and a developer's `npm run migrate`) can never both apply one migration.
 */
export interface MigrationLedger {
  get(migrationId: string): Promise<LedgerEntry | undefined>;
  /** Writes a `running` entry; false when one exists that is applied, or running with a lease still valid at claimedAt. */
  claim(claim: MigrationClaim): Promise<boolean>;
  /** Turns this runner's claim into an `applied` entry; throws MigrationLeaseLostError if the claim is no longer ours. */
  complete(
    migrationId: string,
    runnerId: string,
    record: { readonly appliedAt: string; readonly itemsTouched: number; readonly durationMs: number },
  ): Promise<void>;
  /** Drops this runner's claim after a failure, so the next run starts the migration again. */
  release(migrationId: string, runnerId: string): Promise<void>;
}

/** Proves a dependency answers; rejects when it does not. Should stop early when `signal` aborts. */
export type DependencyProbe = (signal: AbortSignal) => Promise<void>;

/** A partner as the registry keeps it: one app client (its client id) and one API key, in one usage-plan tier. */
export interface PartnerRecord {
  readonly partnerId: string;
  readonly plan: string;
  readonly status: 'active' | 'disabled';
  readonly clientId: string;
  readonly apiKeyId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Which partner an app client belongs to, and whether it may still call. */
export interface PartnerClientRecord {
  readonly partnerId: string;
  readonly status: 'active' | 'disabled';
}

/** The partner registry: written by partner onboarding, read by every route partners may call. */
export interface PartnerDirectory {
  byClientId(clientId: string): Promise<PartnerClientRecord | undefined>;
  get(partnerId: string): Promise<PartnerRecord | undefined>;
  list(): Promise<PartnerRecord[]>;
  /** Registers a new partner; false if the id is taken. */
  register(partner: PartnerRecord): Promise<boolean>;
  /** Sets the partner's and its client's status together. */
  setStatus(partnerId: string, status: PartnerRecord['status'], at: string): Promise<void>;
}

/** One order's contribution to the sales history: its lines, counted on the UTC day it was confirmed. */
export interface OrderSale {
  readonly orderId: string;
  /** yyyy-mm-dd (UTC). */
  readonly day: string;
  readonly lines: readonly { readonly productId: string; readonly units: number; readonly revenue: Money }[];
}

/** A product's sales on one UTC day. */
export interface SalesDay {
  readonly productId: string;
  readonly day: string;
  readonly units: number;
  /** Minor units of `currency`. */
  readonly revenue: number;
  readonly currency: string;
}

/**
 * Daily sales per product, maintained from the order events. Each order counts at most once (a ledger item per
 * order), so redelivered events change nothing; a cancellation takes back exactly what its order added.
 */
export interface SalesHistory {
  /** Adds the order's lines to their days; false when the order was already counted or its cancellation seen. */
  recordSale(sale: OrderSale): Promise<boolean>;
  /**
   * Takes back what a cancelled order added; false when there was nothing to take back. A cancellation seen before
   * its confirmation (events are not ordered) is remembered, so the late confirmation then counts nothing.
   */
  reverseSale(orderId: string): Promise<boolean>;
  /** A product's days with sales within [from, to] (yyyy-mm-dd), oldest first; days without sales are absent. */
  daily(productId: string, from: string, to: string): Promise<SalesDay[]>;
}

/** One day of a stored forecast: the expected units and the prediction interval around them. */
export interface ForecastDay {
  /** yyyy-mm-dd (UTC). */
  readonly date: string;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
}

/** A product's latest demand forecast and the reorder figures computed from it (the forecast job writes it). */
export interface ProductForecast {
  readonly productId: string;
  readonly name: string;
  readonly generatedAt: string;
  /** `holt-winters` from two weeks of history, `seasonal-naive` from one, `mean` under one week. */
  readonly method: 'holt-winters' | 'seasonal-naive' | 'mean';
  /** Days of sales history the forecast was fitted on (from the first day with sales). */
  readonly historyDays: number;
  /** Central coverage of the intervals (0.8: the 10th to the 90th percentile). */
  readonly coverage: number;
  readonly days: readonly ForecastDay[];
  readonly inventory: {
    /** Stock on the shelf when the forecast was made. */
    readonly available: number;
    readonly leadTimeDays: number;
    readonly serviceLevel: number;
    readonly leadTimeDemand: number;
    readonly safetyStock: number;
    readonly reorderPoint: number;
    /** Days until the forecast demand uses up the stock; null when it outlasts the 28 forecast days. */
    readonly daysOfCover: number | null;
    readonly belowReorderPoint: boolean;
    /** Units to order now: up to the reorder point plus the forecast demand of the horizon; 0 when not below. */
    readonly suggestedQuantity: number;
  };
}

/** Where forecasts are kept: one item per product, replaced by each run. */
export interface ForecastStore {
  /** Stores the product's latest forecast; `event` (a reorder suggestion) is written with it (the outbox). */
  save(forecast: ProductForecast, event?: DomainEvent): Promise<void>;
  get(productId: string): Promise<ProductForecast | undefined>;
  /** The products that were at or below their reorder point at the last run, by product id. */
  listBelowReorderPoint(limit: number, cursor?: string): Promise<{ forecasts: ProductForecast[]; nextCursor?: string }>;
}

/** Finds our order id for a provider payment (a charge or dispute event names only its PaymentIntent). */
export interface PaymentLookup {
  orderIdOf(paymentIntentId: string): Promise<string | undefined>;
}

/** A processed webhook event, recorded once: on its order (history entry, and a refund or dispute fact) or alone. */
export interface WebhookRecord {
  readonly eventId: string;
  /** When the deduplication entry may be forgotten (epoch seconds): past the provider's retry window. */
  readonly expiresAt: number;
  /** The order the event was about, kept on the event's item. */
  readonly orderId?: string;
  /** What to write on the order with it: a history entry (the status unchanged) and maybe a fact. */
  readonly order?: {
    readonly orderId: string;
    /** The order's status, unchanged: the history entry records a fact, not a transition. */
    readonly status: OrderStatus;
    readonly reason: string;
    readonly fact?: { readonly field: 'providerRefunds' | 'disputes'; readonly value: PaymentFact };
    /** The event the fact announces, written with it (the outbox). */
    readonly event?: DomainEvent;
  };
}

export interface WebhookLedger {
  /** Writes the record in one transaction with the event's deduplication entry; false when the event was seen. */
  record(entry: WebhookRecord): Promise<boolean>;
  /** Whether the event was processed already (checked before acting on the provider). */
  seen(eventId: string): Promise<boolean>;
}

/** One customer email: which order, and for which of its events (at most one email per pair). */
export interface EmailKey {
  readonly orderId: string;
  readonly eventType: string;
}

/**
 * What the customer-email ledger says when a delivery asks to send: `claimed` (send it now), `sent` (a delivery
 * sent it before), or `in-progress` (another delivery claimed it moments ago and may be sending: retry later).
 */
export type EmailClaim = 'claimed' | 'sent' | 'in-progress';

/** Remembers which customer emails were sent, so a redelivered event sends nothing twice. */
export interface EmailLedger {
  /**
   * Claims the email (conditional write): granted when nothing was recorded, or when an earlier claim was never
   * marked sent and is older than the lease (that delivery died: the email may not have gone out).
   */
  claim(key: EmailKey, now: Date): Promise<EmailClaim>;
  /**
   * Gives up a claim taken at `claimedAt` whose send failed, so the retry need not wait for the lease; does nothing
   * if the claim was taken over or marked sent meanwhile.
   */
  release(key: EmailKey, claimedAt: Date): Promise<void>;
  /** Records that the provider accepted the message. */
  markSent(key: EmailKey, messageId: string, now: Date): Promise<void>;
}

/** A templated email to one recipient. */
export interface TemplatedEmail {
  readonly to: string;
  /** The template, by the event it is for (functions/core/email/email-templates.ts). */
  readonly template: string;
  readonly data: Readonly<Record<string, string>>;
}

export interface Mailer {
  /** Sends the message; resolves with the provider's message id once accepted. */
  send(email: TemplatedEmail): Promise<string>;
}
