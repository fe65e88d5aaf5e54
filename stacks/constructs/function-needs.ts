import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import type { RouteId } from '../../functions/api/routes';
import type { JobName } from '../../functions/jobs/schedule';
import {
  orderCancellation,
  orderContinuation,
  orderSaga,
  type SagaPlaceholder,
  type StateMachineDefinition,
} from '../../statemachines/order-saga';
import type { OrderFunction } from './order-function';
import type { TableAccess } from './table-grants';

/** What a handler touches besides its own logs. Each flag maps to one binding method of OrderFunction. */
export interface FunctionNeeds {
  readonly table?: TableAccess;
  readonly holdsStock?: boolean;
  readonly callsPaymentProvider?: boolean;
  /** Reads the environment's risk limits (CheckRisk). */
  readonly checksRisk?: boolean;
  /** Sends to the needs-attention queue (FlagForAttention). */
  readonly flagsForAttention?: boolean;
  /** Reads the runtime feature flags from AppConfig. */
  readonly readsFeatureFlags?: boolean;
  /** Reads the Stripe webhook signing secret. */
  readonly verifiesPaymentWebhooks?: boolean;
  /** Sends to the partner webhook delivery queue (manual retries, replays, the fan-out). */
  readonly queuesWebhooks?: boolean;
}

/**
 * Only API functions and jobs start workflows (a task starting a state machine could loop). Routes with
 * `idempotent: true` in the route table also get the idempotency table; that is read from the route itself, not
 * repeated here.
 */
export interface RouteNeeds extends FunctionNeeds {
  readonly startsWorkflow?: StateMachineDefinition;
  /** May only describe this state machine (DescribeStateMachine): the readiness check. */
  readonly describesWorkflow?: StateMachineDefinition;
  /** Reads items of the table but none of its indexes: the readiness check's probe. */
  readonly probesTable?: boolean;
  /**
   * Further state machines it starts (recovery runs the cancellation workflow's compensations again and continues
   * held orders).
   */
  readonly alsoStartsWorkflows?: readonly StateMachineDefinition[];
  /** Gets RECOVERY_AFTER_SECONDS. */
  readonly recoversOrders?: boolean;
}

/** A scheduled job: its access (as for routes) and how it runs. */
export interface JobNeeds extends RouteNeeds {
  /** The whole-table Scan of the reconciliation; no other function gets it. */
  readonly scansTable?: boolean;
  /** Gets the environment's RECONCILE_* overrides. */
  readonly reconciles?: boolean;
  /** Gets the environment's inventory policy (lead time, service level). */
  readonly forecastsDemand?: boolean;
  /** Shorter than the schedule's period, so scheduled runs never overlap. */
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly reservedConcurrentExecutions?: number;
  /** Pages when the job's function fails (Lambda Errors, timeouts included) this often within `period`. */
  readonly errorAlarm: { readonly period: Duration; readonly threshold: number };
}

// Moves the order to CANCELLED; the cancellation workflow then reverses the payment and releases the stock.
// Its deadline (RECOVERY_AFTER_SECONDS) is written with the cancellation: recovery reruns a workflow that died.
const cancels: RouteNeeds = {
  table: 'readWrite',
  startsWorkflow: orderCancellation,
  recoversOrders: true,
};

// The whole access model in two tables. Keyed by route id and saga placeholder, so a new route or task does not
// compile until its needs are declared here.
export const routeNeeds: Record<RouteId, RouteNeeds> = {
  health: {},
  // Readiness: a GetItem of a key that never holds an item, and DescribeStateMachine on the saga.
  healthReady: { probesTable: true, describesWorkflow: orderSaga },
  // Serves the API description built at cold start from the route table and schemas: no AWS access.
  openApi: {},
  listProducts: { table: 'read' },
  getProduct: { table: 'read' },
  createProduct: { table: 'readWrite' },
  updateProduct: { table: 'readWrite' },
  adjustStock: { table: 'readWrite' },
  // Reads acceptingOrders and maxItemsPerOrder before anything else.
  placeOrder: { table: 'readWrite', startsWorkflow: orderSaga, readsFeatureFlags: true },
  listOrders: { table: 'read' },
  getOrder: { table: 'read' },
  cancelOrder: cancels,
  // Reads the payment from the provider again, records the decision on the held order (conditional write) and
  // starts the continuation workflow.
  confirmPayment: { table: 'readWrite', callsPaymentProvider: true, startsWorkflow: orderContinuation },
  getOrderHistory: { table: 'read' },
  // Queries GSI1 (by customer) or GSI2 (by status).
  adminListOrders: { table: 'read' },
  // The order and its history items: reads only.
  adminGetOrder: { table: 'read' },
  // The owner's cancellation, for any order: the same use case, so the same needs.
  adminCancelOrder: cancels,
  // Captures the payment, then commits the stock holds.
  adminFulfillOrder: { table: 'readWrite', callsPaymentProvider: true },
  // One forecast item (GetItem), and the sparse REORDER partition of GSI1 (Query): reads only.
  adminGetForecast: { table: 'read' },
  adminListReorders: { table: 'read' },
  // The review queue: a page of the REVIEW partitions of GSI2, read forwards (oldest first).
  adminListReviews: { table: 'read' },
  // Records the review decision on the held order (conditional write) and starts the continuation workflow.
  adminApproveReview: { table: 'readWrite', startsWorkflow: orderContinuation },
  adminRejectReview: { table: 'readWrite', startsWorkflow: orderContinuation },
  // Refunds through the provider, records the refund on the order, puts returned units back on the shelf.
  adminRefundOrder: { table: 'readWrite', callsPaymentProvider: true },
  // Verifies the signature, records the event with its order (dedup item, history, facts), reverses a failed
  // order's live authorization and records refunds and disputes (with their events); continues an order waiting
  // for its customer's authentication (the continuation workflow).
  stripeWebhook: {
    table: 'readWrite',
    callsPaymentProvider: true,
    startsWorkflow: orderContinuation,
    verifiesPaymentWebhooks: true,
  },
  // Partner webhooks: endpoints under their owner (GetItem, one Query, a transaction with the owner's counter).
  // Registration resolves the URL's host (DNS, no AWS access). Retries and replays restart deliveries and queue them.
  createWebhook: { table: 'readWrite' },
  listWebhooks: { table: 'read' },
  deleteWebhook: { table: 'readWrite' },
  rotateWebhookSecret: { table: 'readWrite' },
  listWebhookDeliveries: { table: 'read' },
  retryWebhookDelivery: { table: 'readWrite', queuesWebhooks: true },
  replayWebhook: { table: 'readWrite', queuesWebhooks: true },
};

export const sagaTaskNeeds: Record<SagaPlaceholder, FunctionNeeds> = {
  // Reads the order and the customer's earlier orders (Query on GSI1), and records its decision on the order.
  // The riskCheck flag can switch the check off.
  CheckRiskFunctionArn: { table: 'readWrite', checksRisk: true, readsFeatureFlags: true },
  ReserveStockFunctionArn: { table: 'readWrite', holdsStock: true },
  ReleaseStockFunctionArn: { table: 'readWrite', holdsStock: true },
  // Authorize also records the authorization on the order, hence table writes.
  AuthorizePaymentFunctionArn: { table: 'readWrite', callsPaymentProvider: true },
  VoidPaymentFunctionArn: { table: 'readWrite', callsPaymentProvider: true },
  ConfirmOrderFunctionArn: { table: 'readWrite' },
  MarkOrderFailedFunctionArn: { table: 'readWrite' },
  // Flags the order (UpdateItem) and queues it for an operator.
  FlagForAttentionFunctionArn: { table: 'readWrite', flagsForAttention: true },
  // Carries out a held order's decision: moves a continued order on (conditional write).
  ResumeHeldOrderFunctionArn: { table: 'readWrite' },
};

// Keyed by job name, so a job added to functions/jobs/schedule.ts does not compile until its needs are declared.
export const jobNeeds: Record<JobName, JobNeeds> = {
  // Lists in-flight orders by status (Query on GSI2) and restarts their sagas, fails orders whose holds expired,
  // and reruns the compensations (cancellation workflow) of orders whose pending entry is due; abandons
  // ACTION_REQUIRED orders past their authentication deadline (reading the payment from the provider first) and
  // restarts continuations that died (continuation workflow).
  'recover-orders': {
    table: 'readWrite',
    // HOLD_MINUTES: in-flight orders older than their holds are failed (RESERVATION_EXPIRED), not resumed.
    holdsStock: true,
    callsPaymentProvider: true,
    startsWorkflow: orderSaga,
    alsoStartsWorkflows: [orderCancellation, orderContinuation],
    recoversOrders: true,
    timeout: Duration.seconds(50),
    // Runs every minute: one failed run is retried by the next; three in five minutes is an outage.
    errorAlarm: { period: Duration.minutes(5), threshold: 3 },
  },
  // Reads the whole table and lists the provider's payments: read-only, long, and one run at a time.
  reconcile: {
    scansTable: true,
    callsPaymentProvider: true,
    reconciles: true,
    timeout: Duration.minutes(5),
    memorySize: 1024,
    reservedConcurrentExecutions: 1,
    errorAlarm: { period: Duration.hours(1), threshold: 1 },
  },
  // Lists the catalog (GSI1), queries each product's sales history, writes one forecast item per product, with
  // inventory.reorder-suggested on it (the outbox). CPU-bound (the parameter search), hence the memory; one run at
  // a time.
  'forecast-demand': {
    table: 'readWrite',
    forecastsDemand: true,
    timeout: Duration.minutes(10),
    memorySize: 1024,
    reservedConcurrentExecutions: 1,
    errorAlarm: { period: Duration.hours(6), threshold: 1 },
  },
};

/** What the shared needs bind a function to: the data stack's resources and the stack's bus and queue. */
export interface SharedResources {
  readonly config: EnvironmentConfig;
  readonly table: ITableV2;
  readonly tableIndexNames: readonly string[];
  readonly eventBus: IEventBus;
  readonly attentionQueue: IQueue;
  /** The partner webhook delivery queue (stacks/constructs/webhook-delivery.ts). */
  readonly webhookQueue: IQueue;
  readonly paymentApiKey: ISecret;
  readonly paymentWebhookSecret: ISecret;
}

/** Grants the function what `needs` declares (the needs common to routes, saga tasks and jobs). */
export function bindNeeds(fn: OrderFunction, needs: FunctionNeeds, shared: SharedResources): OrderFunction {
  if (needs.table) fn.useTable(shared.table, needs.table, shared.tableIndexNames);
  if (needs.holdsStock) fn.holdStockFor(shared.config.holdMinutes);
  if (needs.callsPaymentProvider) {
    // The review deadline goes with the payment settings: the functions that authorize (and park an order for
    // review) and the recovery job (which rejects expired reviews) are the ones that call the provider.
    const reviewDeadlineHours = shared.config.risk.reviewDeadlineHours;
    fn.callPaymentProvider({ ...shared.config.payment, reviewDeadlineHours }, shared.paymentApiKey);
  }
  if (needs.checksRisk) fn.applyRiskLimits(shared.config.risk);
  if (needs.flagsForAttention) fn.sendToAttentionQueue(shared.attentionQueue);
  if (needs.verifiesPaymentWebhooks) fn.verifyPaymentWebhooks(shared.paymentWebhookSecret);
  if (needs.queuesWebhooks) fn.queueWebhookDeliveries(shared.webhookQueue);
  return fn;
}
