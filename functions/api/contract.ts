import type * as z from 'zod/mini';
import {
  adjustStockRequest,
  adminCancelOrderRequest,
  adminListOrdersQuery,
  adminOrderDetailResponse,
  adminProductResponse,
  adminOrderPageResponse,
  adminOrderResponse,
  createProductRequest,
  emptyBody,
  forecastResponse,
  healthResponse,
  listOrdersQuery,
  listProductsQuery,
  openApiDocumentResponse,
  orderHistoryResponse,
  orderIdPath,
  orderPageResponse,
  orderResponse,
  ownOrderResponse,
  placeOrderRequest,
  productIdPath,
  readinessResponse,
  refundOrderRequest,
  reorderListQuery,
  reorderPageResponse,
  reviewDecisionRequest,
  reviewListQuery,
  reviewPageResponse,
  reviewResponse,
  productPageResponse,
  productResponse,
  updateProductRequest,
  webhookReceivedResponse,
} from '../core/schemas/api-schemas';
import {
  createWebhookRequest,
  listDeliveriesQuery,
  replayWebhookRequest,
  replayWebhookResponse,
  webhookDeliveryPageResponse,
  webhookDeliveryPath,
  webhookDeliveryResponse,
  webhookIdPath,
  webhookListResponse,
  webhookWithSecretResponse,
} from '../core/schemas/webhook-schemas';
import type { RouteDefinition, RouteId } from './routes';

/**
 * What each route takes and returns, as zod schemas: `httpHandler` validates every request with them before the
 * handler runs, handlers answer with the success schema's type, and the published API description and API Gateway's
 * request models are generated from this table. Keyed by route id, so a route cannot exist without its contract.
 * Error responses are problem+json; most follow from the route's settings (see `routeErrors`), and a contract lists
 * only the ones that mean something particular on its route.
 */
export interface RouteContract {
  readonly path?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly body?: z.ZodMiniType;
  /** What the body is called in validation messages and in the 400's description (`invalid order`); `body` if unset. */
  readonly bodyName?: string;
  /** The success response: status code, schema and a description. */
  readonly success: { readonly status: 200 | 201 | 202; readonly schema: z.ZodMiniType; readonly description: string };
  /**
   * What the route's own errors mean. A 409 or 422 on an idempotent route also covers the Idempotency-Key's
   * conflict, which `routeErrors` appends.
   */
  readonly errors: Readonly<Partial<Record<BusinessErrorStatus, string>>>;
  /** Whether a GET answers 304 to If-None-Match. */
  readonly conditional?: boolean;
}

type BusinessErrorStatus = 400 | 404 | 409 | 422 | 503;
export type ErrorStatus = 401 | 403 | BusinessErrorStatus | 429;

const contracts = {
  health: { success: { status: 200, schema: healthResponse, description: 'The service is up' }, errors: {} },
  healthReady: {
    success: { status: 200, schema: readinessResponse, description: 'Every dependency answered its check' },
    errors: { 503: 'A dependency did not answer in time: `checks` names it (`table`, `workflow`)' },
  },
  openApi: {
    success: { status: 200, schema: openApiDocumentResponse, description: 'The OpenAPI 3.1 document' },
    errors: {},
    conditional: true,
  },
  listProducts: {
    query: listProductsQuery,
    success: { status: 200, schema: productPageResponse, description: 'A page of the active catalog' },
    errors: {},
    conditional: true,
  },
  getProduct: {
    path: productIdPath,
    success: { status: 200, schema: productResponse, description: 'The product' },
    errors: { 404: 'No such product' },
    conditional: true,
  },
  createProduct: {
    body: createProductRequest,
    bodyName: 'product',
    success: { status: 201, schema: adminProductResponse, description: 'The product was created' },
    errors: { 409: 'A product with this id exists' },
  },
  updateProduct: {
    path: productIdPath,
    body: updateProductRequest,
    bodyName: 'product changes',
    success: { status: 200, schema: adminProductResponse, description: 'The updated product' },
    errors: {
      404: 'No such product',
      409: 'Orders kept changing the stock while its shard count was being changed (STOCK_BUSY): retry',
    },
  },
  adjustStock: {
    path: productIdPath,
    body: adjustStockRequest,
    bodyName: 'stock adjustment',
    success: { status: 200, schema: adminProductResponse, description: 'The product with its new stock' },
    errors: {
      404: 'No such product',
      409:
        'The adjustment would take the stock below zero (INSUFFICIENT_STOCK), orders kept changing the stock ' +
        '(STOCK_BUSY: retry)',
    },
  },
  placeOrder: {
    body: placeOrderRequest,
    bodyName: 'order',
    success: { status: 202, schema: orderResponse, description: 'Accepted: the PENDING order; poll its Location' },
    errors: {
      422:
        'A product is unavailable, the currencies differ, the order holds more items (units) than the current ' +
        'per-order limit (TOO_MANY_ITEMS)',
      503: 'Order intake is paused for now (ORDERS_PAUSED): retry after Retry-After seconds',
    },
  },
  listOrders: {
    query: listOrdersQuery,
    success: { status: 200, schema: orderPageResponse, description: "A page of the caller's orders, newest first" },
    errors: {},
  },
  getOrder: {
    path: orderIdPath,
    success: {
      status: 200,
      schema: ownOrderResponse,
      description: 'The order; while it is ACTION_REQUIRED, `paymentAction` says how the customer finishes the payment',
    },
    errors: { 404: "No such order among the caller's" },
    conditional: true,
  },
  cancelOrder: {
    path: orderIdPath,
    body: emptyBody,
    success: {
      status: 200,
      schema: orderResponse,
      description: 'The CANCELLED order; its payment and stock are being given back',
    },
    errors: {
      404: "No such order among the caller's",
      409: 'The order can no longer be cancelled (ORDER_NOT_CANCELLABLE)',
    },
  },
  confirmPayment: {
    path: orderIdPath,
    body: emptyBody,
    success: {
      status: 200,
      schema: orderResponse,
      description:
        'The payment was read again from the provider and the order continues: towards CONFIRMED when the ' +
        'authentication succeeded, FAILED (PAYMENT_DECLINED) when it failed. A repeated confirm answers the order as it is',
    },
    errors: {
      404: "No such order among the caller's",
      409:
        'The order is not waiting for payment authentication, or the customer has not finished it yet ' +
        '(PAYMENT_AUTHENTICATION_PENDING); nothing changed',
    },
  },
  getOrderHistory: {
    path: orderIdPath,
    success: { status: 200, schema: orderHistoryResponse, description: "The order's status transitions, oldest first" },
    errors: { 404: "No such order among the caller's" },
    conditional: true,
  },
  adminListOrders: {
    query: adminListOrdersQuery,
    success: {
      status: 200,
      schema: adminOrderPageResponse,
      description: "A page of the customer's orders, or of orders in the status, newest first",
    },
    errors: {},
  },
  adminGetForecast: {
    path: productIdPath,
    success: {
      status: 200,
      schema: forecastResponse,
      description: "The product's latest forecast (the daily forecast job's), with its reorder figures",
    },
    errors: { 404: 'No forecast for this product (unknown, inactive, or not forecast yet)' },
  },
  adminListReorders: {
    query: reorderListQuery,
    success: {
      status: 200,
      schema: reorderPageResponse,
      description: 'A page of the products at or below their reorder point at the last forecast, by product id',
    },
    errors: {},
  },
  adminGetOrder: {
    path: orderIdPath,
    success: { status: 200, schema: adminOrderDetailResponse, description: 'The order with its history, oldest first' },
    errors: { 404: 'No such order' },
    conditional: true,
  },
  adminCancelOrder: {
    path: orderIdPath,
    body: adminCancelOrderRequest,
    bodyName: 'cancellation',
    success: {
      status: 200,
      schema: adminOrderResponse,
      description: 'The CANCELLED order; its payment and stock are being given back',
    },
    errors: {
      404: 'No such order',
      409: 'The order can no longer be cancelled (ORDER_NOT_CANCELLABLE)',
    },
  },
  adminFulfillOrder: {
    path: orderIdPath,
    body: emptyBody,
    success: { status: 200, schema: orderResponse, description: 'The FULFILLED order' },
    errors: {
      404: 'No such order',
      409: 'The order is not CONFIRMED, the capture was refused',
    },
  },
  adminListReviews: {
    query: reviewListQuery,
    success: {
      status: 200,
      schema: reviewPageResponse,
      description:
        'A page of the orders waiting for a risk review, oldest first, each with its risk decision and deadline',
    },
    errors: {},
  },
  adminApproveReview: {
    path: orderIdPath,
    body: reviewDecisionRequest,
    bodyName: 'reviewDecision',
    success: {
      status: 200,
      schema: reviewResponse,
      description: 'The approved order, continuing to CONFIRMED; approving it again answers the same',
    },
    errors: {
      404: 'No such order',
      409: 'The order is not waiting for review, or was rejected on review (ORDER_STATE_CONFLICT); nothing changed',
    },
  },
  adminRejectReview: {
    path: orderIdPath,
    body: reviewDecisionRequest,
    bodyName: 'reviewDecision',
    success: {
      status: 200,
      schema: reviewResponse,
      description:
        'The rejected order: its payment is being voided and its stock released, then it is FAILED (RISK_REJECTED); ' +
        'rejecting it again answers the same',
    },
    errors: {
      404: 'No such order',
      409: 'The order is not waiting for review, or was approved on review (ORDER_STATE_CONFLICT); nothing changed',
    },
  },
  adminRefundOrder: {
    path: orderIdPath,
    body: refundOrderRequest,
    bodyName: 'refund',
    success: {
      status: 200,
      schema: adminOrderResponse,
      description: 'The PARTIALLY_REFUNDED or REFUNDED order with its refunds',
    },
    errors: {
      404: 'No such order',
      409:
        'The order is not FULFILLED or PARTIALLY_REFUNDED, the amount exceeds what is left to refund, or the ' +
        'restock exceeds the units sold (ORDER_NOT_REFUNDABLE)',
    },
  },
  stripeWebhook: {
    success: { status: 200, schema: webhookReceivedResponse, description: 'The event was processed (or seen before)' },
    errors: { 400: 'The Stripe-Signature header is missing or does not match the body, or its timestamp is too old' },
  },
  createWebhook: {
    body: createWebhookRequest,
    bodyName: 'webhook',
    success: {
      status: 201,
      schema: webhookWithSecretResponse,
      description: 'The endpoint with its signing secret: store the secret now, no other answer shows it',
    },
    errors: {
      400:
        'Invalid webhook: `errors` names the field (a URL that is not https, or whose host does not resolve or ' +
        'resolves to a private, loopback, link-local or metadata address; an unknown event type); nothing registered',
      409: 'The caller has as many endpoints as allowed (WEBHOOK_LIMIT_REACHED)',
    },
  },
  listWebhooks: {
    success: { status: 200, schema: webhookListResponse, description: "The caller's endpoints, without secrets" },
    errors: {},
  },
  deleteWebhook: {
    path: webhookIdPath,
    success: { status: 200, schema: webhookListResponse, description: "The caller's remaining endpoints" },
    errors: { 404: "No such endpoint among the caller's" },
  },
  rotateWebhookSecret: {
    path: webhookIdPath,
    body: emptyBody,
    success: {
      status: 200,
      schema: webhookWithSecretResponse,
      description: 'The endpoint with its new secret (shown this once) and until when the previous one still signs',
    },
    errors: { 404: "No such endpoint among the caller's" },
  },
  listWebhookDeliveries: {
    path: webhookIdPath,
    query: listDeliveriesQuery,
    success: {
      status: 200,
      schema: webhookDeliveryPageResponse,
      description: "A page of the endpoint's deliveries (kept 30 days), newest event first",
    },
    errors: { 404: "No such endpoint among the caller's" },
  },
  retryWebhookDelivery: {
    path: webhookDeliveryPath,
    body: emptyBody,
    success: { status: 202, schema: webhookDeliveryResponse, description: 'The delivery, queued to be sent again' },
    errors: { 404: "No such endpoint among the caller's, or no such delivery of it" },
  },
  replayWebhook: {
    path: webhookIdPath,
    body: replayWebhookRequest,
    bodyName: 'replay',
    success: {
      status: 202,
      schema: replayWebhookResponse,
      description: 'How many deliveries were queued again; `resumeFrom` when more of the range remain',
    },
    errors: { 404: "No such endpoint among the caller's" },
  },
} as const satisfies Record<RouteId, RouteContract>;

/** Each route's contract with its exact schemas, which type the handler's input and answer. */
export const contract: { readonly [Id in RouteId]: (typeof contracts)[Id] & RouteContract } = contracts;

const idempotencyConflicts = {
  409: ['A request with the same Idempotency-Key is still in progress', 'the key is in use'],
  422: ['The Idempotency-Key was used with a different body', 'the Idempotency-Key was used with another body'],
} as const;

/**
 * Every error status a route can answer with (besides 500) and what it means there, from its settings: a 400 when it
 * takes input, 401 and 403 when it needs a token, 403 for a missing API key, 409 and 422 for its Idempotency-Key,
 * 429 where a usage plan or method throttle applies; plus the contract's own (404, business conflicts, 503).
 */
export function routeErrors(
  route: RouteDefinition,
  routeContract: RouteContract,
): Partial<Record<ErrorStatus, string>> {
  const errors: Partial<Record<ErrorStatus, string>> = {};
  const invalid = invalidInputOf(routeContract);
  if (invalid) errors[400] = invalid;
  if (route.access !== 'public') {
    errors[401] = 'No token, or an invalid or expired one';
    errors[403] =
      route.access.partnerScopes.length > 0
        ? 'The caller may not call this operation, or no API key; a partner token whose app client no partner owns ' +
          '(UNKNOWN_PARTNER) or whose partner is disabled (PARTNER_DISABLED)'
        : 'The caller may not call this operation, or no API key';
  } else if (route.apiKeyRequired) {
    errors[403] = 'Missing or unknown API key';
  }
  Object.assign(errors, routeContract.errors);
  if (route.idempotent) {
    for (const status of [409, 422] as const) {
      const [alone, appended] = idempotencyConflicts[status];
      const own = routeContract.errors[status];
      errors[status] = own ? `${own}, or ${appended}` : alone;
    }
  }
  if (route.apiKeyRequired || route.access !== 'public') errors[429] = 'Rate limit or quota exceeded';
  return errors;
}

/** "Invalid order id or body": what a 400 on this route is about, from the inputs its contract validates. */
function invalidInputOf(routeContract: RouteContract): string | undefined {
  const parts = [
    ...Object.keys(shapeOf(routeContract.path)).map((name) =>
      name.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`),
    ),
    ...(routeContract.query ? ['cursor' in shapeOf(routeContract.query) ? 'query or cursor' : 'query'] : []),
    ...(routeContract.body ? [routeContract.bodyName ?? 'body'] : []),
  ];
  return parts.length > 0 ? `Invalid ${parts.join(' or ')}` : undefined;
}

function shapeOf(schema: z.ZodMiniType | undefined): Record<string, unknown> {
  return (schema as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
}
