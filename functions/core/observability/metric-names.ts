/**
 * Every custom metric the functions publish, and the dimensions they add, by one name that handlers (through
 * Powertools) and stacks/ (alarms, dashboard) both import: an alarm cannot watch a metric nobody emits under that
 * name. Namespace and the `service` dimension come from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME.
 */
export const ordersNamespace = 'Orders';

export const metricNames = {
  orderPlaced: 'OrderPlaced',
  /** A stored order whose saga did not start (the recovery job starts it; the order was answered 202). */
  sagaNotStarted: 'SagaNotStarted',
  /** Events the outbox relay published to the bus (functions/relays/outbox-relay.ts). */
  eventsRelayed: 'EventsRelayed',
  /** Webhook deliveries the fan-out recorded for an event (zero when no endpoint wants it). */
  webhookDeliveriesRecorded: 'WebhookDeliveriesRecorded',
  orderConfirmed: 'OrderConfirmed',
  /** Published with the `failureReason` dimension: one series per reason. */
  orderFailed: 'OrderFailed',
  orderNeedsAttention: 'OrderNeedsAttention',
  /** Milliseconds from placement to CONFIRMED or FAILED (functions/core/observability/order-completion.ts). */
  orderCompletionLatency: 'OrderCompletionLatency',
  riskApproved: 'RiskApproved',
  riskCheckSkipped: 'RiskCheckSkipped',
  /** Orders the fraud model scored for review (approved for now: docs/models.md). */
  riskReview: 'RiskReview',
  /** A CheckRisk container found no valid model and decides by the static rules. */
  riskModelUnavailable: 'RiskModelUnavailable',
  /** Sales history items written by the sales-history consumer (units, per event applied). */
  salesRecorded: 'SalesRecorded',
  /** Customer emails SES accepted (the customer-emails consumer; redeliveries send none). */
  customerEmailSent: 'CustomerEmailSent',
  /** Products below their reorder point after a forecast run (the low-stock alarm watches it). */
  productsBelowReorderPoint: 'ProductsBelowReorderPoint',
  /** Products the forecast job fitted (a run that forecast nothing is visible). */
  productsForecast: 'ProductsForecast',
  stockReserved: 'StockReserved',
  stockReleasedUnits: 'StockReleasedUnits',
  paymentAuthorized: 'PaymentAuthorized',
  /** Authorizations that wait for the customer's 3-D Secure (the order is ACTION_REQUIRED). */
  paymentActionRequired: 'PaymentActionRequired',
  /** ACTION_REQUIRED orders failed by the recovery job (PAYMENT_AUTHENTICATION_EXPIRED). */
  paymentAuthenticationsExpired: 'PaymentAuthenticationsExpired',
  /** REVIEW orders rejected by the recovery job at their review deadline (RISK_REJECTED). */
  riskReviewsExpired: 'RiskReviewsExpired',
  paymentAuthorizationLatency: 'PaymentAuthorizationLatency',
  paymentVoided: 'PaymentVoided',
  paymentRefunded: 'PaymentRefunded',
  paymentProviderLatency: 'PaymentProviderLatency',
  paymentProviderRetry: 'PaymentProviderRetry',
  paymentBreakerOpened: 'PaymentBreakerOpened',
  paymentBreakerHalfOpened: 'PaymentBreakerHalfOpened',
  paymentBreakerClosed: 'PaymentBreakerClosed',
  ordersRecovered: 'OrdersRecovered',
  reservationsExpired: 'ReservationsExpired',
  compensationsRerun: 'CompensationsRerun',
  migrationsApplied: 'MigrationsApplied',
  migrationItemsTouched: 'MigrationItemsTouched',
  /** Published once in total and once per `invariant`. */
  reconciliationViolations: 'ReconciliationViolations',
  /** Units held or sold beyond the stock (stock sold twice, after a regional failover): docs/regions.md. */
  oversoldUnits: 'OversoldUnits',
  reconciliationFlaggedOrders: 'ReconciliationFlaggedOrders',
  /** Published with `statusClass` (4xx, 5xx). */
  requestError: 'RequestError',
  /** Published with `errorType`. */
  taskError: 'TaskError',
  /** Published with `errorType`. */
  jobError: 'JobError',
  /** Not published by a function: a metric filter on the API access log counts 429s (stacks/constructs). */
  apiThrottledRequests: 'ApiThrottledRequests',
} as const;

export type MetricName = (typeof metricNames)[keyof typeof metricNames];

/** Dimensions the functions add to a metric besides `service`. */
export const metricDimensions = {
  failureReason: 'failureReason',
  invariant: 'invariant',
  statusClass: 'statusClass',
  errorType: 'errorType',
} as const;
