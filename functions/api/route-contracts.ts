import type { RouteContract } from './contract';
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

/**
 * Each route's contract, one export per route id (functions/api/routes.ts): what the route takes and answers
 * (functions/api/contract.ts says what each field means). A handler imports this module as a namespace and reads its
 * own route's entry (`contract.placeOrder`), so its bundle keeps that entry and the schemas it uses, and builds no
 * other route's schemas at cold start; `contract` in contract.ts is this module keyed by route id, for the API
 * description, API Gateway's request models and the local gateway.
 */

export const health = {
  success: { status: 200, schema: healthResponse, description: 'The service is up' },
  errors: {},
} as const satisfies RouteContract;

export const healthReady = {
  success: { status: 200, schema: readinessResponse, description: 'Every dependency answered its check' },
  errors: { 503: 'A dependency did not answer in time: `checks` names it (`table`, `workflow`)' },
} as const satisfies RouteContract;

export const openApi = {
  success: { status: 200, schema: openApiDocumentResponse, description: 'The OpenAPI 3.1 document' },
  errors: {},
  conditional: true,
} as const satisfies RouteContract;

export const listProducts = {
  query: listProductsQuery,
  success: { status: 200, schema: productPageResponse, description: 'A page of the active catalog' },
  errors: {},
  conditional: true,
} as const satisfies RouteContract;

export const getProduct = {
  path: productIdPath,
  success: { status: 200, schema: productResponse, description: 'The product' },
  errors: { 404: 'No such product' },
  conditional: true,
} as const satisfies RouteContract;

export const createProduct = {
  body: createProductRequest,
  bodyName: 'product',
  success: { status: 201, schema: adminProductResponse, description: 'The product was created' },
  errors: { 409: 'A product with this id exists' },
} as const satisfies RouteContract;

export const updateProduct = {
  path: productIdPath,
  body: updateProductRequest,
  bodyName: 'product changes',
  success: { status: 200, schema: adminProductResponse, description: 'The updated product' },
  errors: {
    404: 'No such product',
    409: 'Orders kept changing the stock while its shard count was being changed (STOCK_BUSY): retry',
  },
} as const satisfies RouteContract;

export const adjustStock = {
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
} as const satisfies RouteContract;

export const placeOrder = {
  body: placeOrderRequest,
  bodyName: 'order',
  success: { status: 202, schema: orderResponse, description: 'Accepted: the PENDING order; poll its Location' },
  errors: {
    422:
      'A product is unavailable, the currencies differ, the order holds more items (units) than the current ' +
      'per-order limit (TOO_MANY_ITEMS)',
    503: 'Order intake is paused for now (ORDERS_PAUSED): retry after Retry-After seconds',
  },
} as const satisfies RouteContract;

export const listOrders = {
  query: listOrdersQuery,
  success: { status: 200, schema: orderPageResponse, description: "A page of the caller's orders, newest first" },
  errors: {},
} as const satisfies RouteContract;

export const getOrder = {
  path: orderIdPath,
  success: {
    status: 200,
    schema: ownOrderResponse,
    description: 'The order; while it is ACTION_REQUIRED, `paymentAction` says how the customer finishes the payment',
  },
  errors: { 404: "No such order among the caller's" },
  conditional: true,
} as const satisfies RouteContract;

export const cancelOrder = {
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
} as const satisfies RouteContract;

export const confirmPayment = {
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
} as const satisfies RouteContract;

export const getOrderHistory = {
  path: orderIdPath,
  success: { status: 200, schema: orderHistoryResponse, description: "The order's status transitions, oldest first" },
  errors: { 404: "No such order among the caller's" },
  conditional: true,
} as const satisfies RouteContract;

export const adminListOrders = {
  query: adminListOrdersQuery,
  success: {
    status: 200,
    schema: adminOrderPageResponse,
    description: "A page of the customer's orders, or of orders in the status, newest first",
  },
  errors: {},
} as const satisfies RouteContract;

export const adminGetForecast = {
  path: productIdPath,
  success: {
    status: 200,
    schema: forecastResponse,
    description: "The product's latest forecast (the daily forecast job's), with its reorder figures",
  },
  errors: { 404: 'No forecast for this product (unknown, inactive, or not forecast yet)' },
} as const satisfies RouteContract;

export const adminListReorders = {
  query: reorderListQuery,
  success: {
    status: 200,
    schema: reorderPageResponse,
    description: 'A page of the products at or below their reorder point at the last forecast, by product id',
  },
  errors: {},
} as const satisfies RouteContract;

export const adminGetOrder = {
  path: orderIdPath,
  success: { status: 200, schema: adminOrderDetailResponse, description: 'The order with its history, oldest first' },
  errors: { 404: 'No such order' },
  conditional: true,
} as const satisfies RouteContract;

export const adminCancelOrder = {
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
} as const satisfies RouteContract;

export const adminFulfillOrder = {
  path: orderIdPath,
  body: emptyBody,
  success: { status: 200, schema: orderResponse, description: 'The FULFILLED order' },
  errors: {
    404: 'No such order',
    409: 'The order is not CONFIRMED, the capture was refused',
  },
} as const satisfies RouteContract;

export const adminListReviews = {
  query: reviewListQuery,
  success: {
    status: 200,
    schema: reviewPageResponse,
    description:
      'A page of the orders waiting for a risk review, oldest first, each with its risk decision and deadline',
  },
  errors: {},
} as const satisfies RouteContract;

export const adminApproveReview = {
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
} as const satisfies RouteContract;

export const adminRejectReview = {
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
} as const satisfies RouteContract;

export const adminRefundOrder = {
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
} as const satisfies RouteContract;

export const stripeWebhook = {
  success: { status: 200, schema: webhookReceivedResponse, description: 'The event was processed (or seen before)' },
  errors: { 400: 'The Stripe-Signature header is missing or does not match the body, or its timestamp is too old' },
} as const satisfies RouteContract;

export const createWebhook = {
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
} as const satisfies RouteContract;

export const listWebhooks = {
  success: { status: 200, schema: webhookListResponse, description: "The caller's endpoints, without secrets" },
  errors: {},
} as const satisfies RouteContract;

export const deleteWebhook = {
  path: webhookIdPath,
  success: { status: 200, schema: webhookListResponse, description: "The caller's remaining endpoints" },
  errors: { 404: "No such endpoint among the caller's" },
} as const satisfies RouteContract;

export const rotateWebhookSecret = {
  path: webhookIdPath,
  body: emptyBody,
  success: {
    status: 200,
    schema: webhookWithSecretResponse,
    description: 'The endpoint with its new secret (shown this once) and until when the previous one still signs',
  },
  errors: { 404: "No such endpoint among the caller's" },
} as const satisfies RouteContract;

export const listWebhookDeliveries = {
  path: webhookIdPath,
  query: listDeliveriesQuery,
  success: {
    status: 200,
    schema: webhookDeliveryPageResponse,
    description: "A page of the endpoint's deliveries (kept 30 days), newest event first",
  },
  errors: { 404: "No such endpoint among the caller's" },
} as const satisfies RouteContract;

export const retryWebhookDelivery = {
  path: webhookDeliveryPath,
  body: emptyBody,
  success: { status: 202, schema: webhookDeliveryResponse, description: 'The delivery, queued to be sent again' },
  errors: { 404: "No such endpoint among the caller's, or no such delivery of it" },
} as const satisfies RouteContract;

export const replayWebhook = {
  path: webhookIdPath,
  body: replayWebhookRequest,
  bodyName: 'replay',
  success: {
    status: 202,
    schema: replayWebhookResponse,
    description: 'How many deliveries were queued again; `resumeFrom` when more of the range remain',
  },
  errors: { 404: "No such endpoint among the caller's" },
} as const satisfies RouteContract;
