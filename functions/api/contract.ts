import type * as z from 'zod/mini';
import {
  adjustStockRequest,
  adminListOrdersQuery,
  adminProductResponse,
  adminOrderPageResponse,
  createProductRequest,
  emptyBody,
  healthResponse,
  listOrdersQuery,
  listProductsQuery,
  openApiDocumentResponse,
  orderHistoryResponse,
  orderIdPath,
  orderPageResponse,
  orderResponse,
  placeOrderRequest,
  productIdPath,
  readinessResponse,
  productPageResponse,
  productResponse,
  updateProductRequest,
} from '../core/schemas/api-schemas';
import type { RouteId } from './routes';

/**
 * What each route takes and returns, as zod schemas: the handlers validate with the request schemas, and the
 * published API description and API Gateway's request models are generated from this table. Keyed by route id,
 * so a route cannot exist without its contract. Error responses are problem+json and added for every route.
 */
export interface RouteContract {
  readonly path?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly body?: z.ZodMiniType;
  /** The success response: status code, schema and a description. */
  readonly success: { readonly status: 200 | 201 | 202; readonly schema: z.ZodMiniType; readonly description: string };
  /** The error statuses the route can answer with (besides 500), each with what it means here. */
  readonly errors: Readonly<Partial<Record<400 | 401 | 403 | 404 | 409 | 412 | 422 | 429 | 503, string>>>;
  /** Whether a GET answers 304 to If-None-Match. */
  readonly conditional?: boolean;
}

const auth = {
  401: 'No token, or an invalid or expired one',
  403: 'The caller may not call this operation, or no API key',
} as const;
const keyOnly = { 403: 'Missing or unknown API key' } as const;
const idempotency = {
  409: 'A request with the same Idempotency-Key is still in progress',
  422: 'The Idempotency-Key was used with a different body',
} as const;

export const contract: Record<RouteId, RouteContract> = {
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
    errors: { 400: 'Invalid query or cursor', ...keyOnly, 429: 'Rate limit or quota exceeded' },
    conditional: true,
  },
  getProduct: {
    path: productIdPath,
    success: { status: 200, schema: productResponse, description: 'The product' },
    errors: { 400: 'Invalid product id', ...keyOnly, 404: 'No such product', 429: 'Rate limit or quota exceeded' },
    conditional: true,
  },
  createProduct: {
    body: createProductRequest,
    success: { status: 201, schema: adminProductResponse, description: 'The product was created' },
    errors: {
      400: 'Invalid product',
      ...auth,
      409: 'A product with this id exists (or the key is in use)',
      422: idempotency[422],
      429: 'Rate limit or quota exceeded',
    },
  },
  updateProduct: {
    path: productIdPath,
    body: updateProductRequest,
    success: { status: 200, schema: adminProductResponse, description: 'The updated product' },
    errors: {
      400: 'Invalid changes',
      ...auth,
      404: 'No such product',
      409: 'Orders kept changing the stock while its shard count was being changed (STOCK_BUSY): retry',
      429: 'Rate limit or quota exceeded',
    },
  },
  adjustStock: {
    path: productIdPath,
    body: adjustStockRequest,
    success: { status: 200, schema: adminProductResponse, description: 'The product with its new stock' },
    errors: {
      400: 'Invalid adjustment',
      ...auth,
      404: 'No such product',
      409:
        'The adjustment would take the stock below zero (INSUFFICIENT_STOCK), orders kept changing the stock ' +
        '(STOCK_BUSY: retry), or the key is in use',
      422: idempotency[422],
      429: 'Rate limit or quota exceeded',
    },
  },
  placeOrder: {
    body: placeOrderRequest,
    success: { status: 202, schema: orderResponse, description: 'Accepted: the PENDING order; poll its Location' },
    errors: {
      400: 'Invalid order',
      ...auth,
      ...idempotency,
      422:
        'A product is unavailable, the currencies differ, the order holds more items (units) than the current ' +
        'per-order limit (TOO_MANY_ITEMS), or the Idempotency-Key was used with another body',
      429: 'Rate limit or quota exceeded',
      503: 'Order intake is paused for now (ORDERS_PAUSED): retry after Retry-After seconds',
    },
  },
  listOrders: {
    query: listOrdersQuery,
    success: { status: 200, schema: orderPageResponse, description: "A page of the caller's orders, newest first" },
    errors: { 400: 'Invalid query or cursor', ...auth, 429: 'Rate limit or quota exceeded' },
  },
  getOrder: {
    path: orderIdPath,
    success: { status: 200, schema: orderResponse, description: 'The order' },
    errors: {
      400: 'Invalid order id',
      ...auth,
      404: "No such order among the caller's",
      429: 'Rate limit or quota exceeded',
    },
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
      400: 'Invalid order id or body',
      ...auth,
      404: "No such order among the caller's",
      409: 'The order can no longer be cancelled (ORDER_NOT_CANCELLABLE), or the key is in use',
      422: idempotency[422],
      429: 'Rate limit or quota exceeded',
    },
  },
  getOrderHistory: {
    path: orderIdPath,
    success: { status: 200, schema: orderHistoryResponse, description: "The order's status transitions, oldest first" },
    errors: {
      400: 'Invalid order id',
      ...auth,
      404: "No such order among the caller's",
      429: 'Rate limit or quota exceeded',
    },
    conditional: true,
  },
  adminListOrders: {
    query: adminListOrdersQuery,
    success: {
      status: 200,
      schema: adminOrderPageResponse,
      description: 'A page of orders in the status, newest first',
    },
    errors: { 400: 'Invalid query or cursor', ...auth, 429: 'Rate limit or quota exceeded' },
  },
  adminFulfillOrder: {
    path: orderIdPath,
    body: emptyBody,
    success: { status: 200, schema: orderResponse, description: 'The FULFILLED order' },
    errors: {
      400: 'Invalid order id or body',
      ...auth,
      404: 'No such order',
      409: 'The order is not CONFIRMED, the capture was refused, or the key is in use',
      422: idempotency[422],
      429: 'Rate limit or quota exceeded',
    },
  },
};
