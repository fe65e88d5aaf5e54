/**
 * The route table: the one list of API routes and the one place that says who may call each. The CDK API stack
 * builds API Gateway resources, methods, authorizer scopes, API-key requirements and throttles from it; the local
 * gateway serves exactly the same routes with the same handler modules; the handlers enforce the same access.
 */
export type Group = 'customers' | 'admins';

/** OAuth scopes of the `orders` resource server, granted to partner clients (client-credentials flow). */
export const partnerScopes = ['orders/read', 'orders/write'] as const;
export type PartnerScope = (typeof partnerScopes)[number];

/** The scope Cognito puts in every signed-in user's access token. */
export const userScope = 'aws.cognito.signin.user.admin';

export interface RouteAccess {
  /** Signed-in users in any of these Cognito groups may call it. */
  readonly groups: readonly Group[];
  /** Partner machine clients holding any of these scopes may call it (acting as their own customer). */
  readonly partnerScopes: readonly PartnerScope[];
}

export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, with {placeholders}. */
  readonly path: string;
  /** Handler module, relative to the project root; it exports `handler`. */
  readonly handler: string;
  /** `public` (no token) or who may call it. Authenticated routes take Cognito access tokens. */
  readonly access: 'public' | RouteAccess;
  /** Whether the request must carry an API key (and so falls under a usage plan's throttle and quota). */
  readonly apiKeyRequired: boolean;
  /**
   * The handler gets the body exactly as received (`rawBody`), unparsed: a provider's webhook signature is over
   * those bytes. The route's contract then takes no body schema.
   */
  readonly rawBody?: boolean;
  /** POSTs that create or change state accept an Idempotency-Key. */
  readonly idempotent?: boolean;
  readonly summary: string;
}

const customersAndPartners = (scope: PartnerScope): RouteAccess => ({ groups: ['customers'], partnerScopes: [scope] });
const admins: RouteAccess = { groups: ['admins'], partnerScopes: [] };
/** Partner webhooks: each partner manages its own endpoints, admins the admins' (docs/webhooks.md). */
const partnersAndAdmins = (scope: PartnerScope): RouteAccess => ({ groups: ['admins'], partnerScopes: [scope] });

export const routes = {
  health: {
    method: 'GET',
    path: '/health',
    handler: 'functions/api/get-health.ts',
    access: 'public',
    apiKeyRequired: false,
    summary: 'Liveness check',
  },
  healthReady: {
    method: 'GET',
    path: '/health/ready',
    handler: 'functions/api/get-health-ready.ts',
    access: 'public',
    apiKeyRequired: false,
    summary: 'Readiness check: the table and the order workflow answer',
  },
  openApi: {
    method: 'GET',
    path: '/openapi.json',
    handler: 'functions/api/get-openapi.ts',
    access: 'public',
    apiKeyRequired: false,
    summary: 'This API description (OpenAPI 3.1), generated from the route table and its schemas',
  },
  listProducts: {
    method: 'GET',
    path: '/products',
    handler: 'functions/api/list-products.ts',
    access: 'public',
    apiKeyRequired: true,
    summary: 'List the active catalog with prices and available stock',
  },
  getProduct: {
    method: 'GET',
    path: '/products/{productId}',
    handler: 'functions/api/get-product.ts',
    access: 'public',
    apiKeyRequired: true,
    summary: 'Read one product',
  },
  createProduct: {
    method: 'POST',
    path: '/products',
    handler: 'functions/api/create-product.ts',
    access: admins,
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Add a product to the catalog with its initial stock',
  },
  updateProduct: {
    method: 'PATCH',
    path: '/products/{productId}',
    handler: 'functions/api/update-product.ts',
    access: admins,
    apiKeyRequired: true,
    summary: "Change a product's name, description, price or active flag",
  },
  adjustStock: {
    method: 'POST',
    path: '/products/{productId}/stock',
    handler: 'functions/api/adjust-stock.ts',
    access: admins,
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Restock or correct the stock on the shelf, with a reason (recorded)',
  },
  placeOrder: {
    method: 'POST',
    path: '/orders',
    handler: 'functions/api/place-order.ts',
    access: customersAndPartners('orders/write'),
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Place an order; answers 202 with the PENDING order and starts the saga',
  },
  listOrders: {
    method: 'GET',
    path: '/orders',
    handler: 'functions/api/list-orders.ts',
    access: customersAndPartners('orders/read'),
    apiKeyRequired: true,
    summary: "The caller's orders, newest first",
  },
  getOrder: {
    method: 'GET',
    path: '/orders/{orderId}',
    handler: 'functions/api/get-order.ts',
    access: customersAndPartners('orders/read'),
    apiKeyRequired: true,
    summary: "Read one of the caller's orders",
  },
  cancelOrder: {
    method: 'POST',
    path: '/orders/{orderId}/cancel',
    handler: 'functions/api/cancel-order.ts',
    access: customersAndPartners('orders/write'),
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Cancel an order that is not yet fulfilled; the payment is reversed and the stock released',
  },
  confirmPayment: {
    method: 'POST',
    path: '/orders/{orderId}/payment/confirm',
    handler: 'functions/api/confirm-payment.ts',
    access: customersAndPartners('orders/write'),
    apiKeyRequired: true,
    idempotent: true,
    summary:
      'After the customer finished 3-D Secure: reads the payment from the provider and continues the ACTION_REQUIRED order',
  },
  getOrderHistory: {
    method: 'GET',
    path: '/orders/{orderId}/history',
    handler: 'functions/api/get-order-history.ts',
    access: customersAndPartners('orders/read'),
    apiKeyRequired: true,
    summary: "An order's status transitions, oldest first",
  },
  adminListOrders: {
    method: 'GET',
    path: '/admin/orders',
    handler: 'functions/api/admin-list-orders.ts',
    access: admins,
    apiKeyRequired: true,
    summary: "Search orders, newest first: one customer's (customerId), or all customers' in one status (status)",
  },
  adminGetOrder: {
    method: 'GET',
    path: '/admin/orders/{orderId}',
    handler: 'functions/api/admin-get-order.ts',
    access: admins,
    apiKeyRequired: true,
    summary: "Read any customer's or partner's order with its status history (support)",
  },
  adminCancelOrder: {
    method: 'POST',
    path: '/admin/orders/{orderId}/cancel',
    handler: 'functions/api/admin-cancel-order.ts',
    access: admins,
    apiKeyRequired: true,
    idempotent: true,
    summary: "Cancel any order on its owner's behalf, with a reason (recorded with the admin's id)",
  },
  adminFulfillOrder: {
    method: 'POST',
    path: '/admin/orders/{orderId}/fulfill',
    handler: 'functions/api/admin-fulfill-order.ts',
    access: admins,
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Fulfil a confirmed order: capture the payment and commit the stock',
  },
  adminGetForecast: {
    method: 'GET',
    path: '/admin/products/{productId}/forecast',
    handler: 'functions/api/admin-get-forecast.ts',
    access: admins,
    apiKeyRequired: true,
    summary: "A product's demand forecast: the next 28 days with 80 % intervals, reorder point and days of cover",
  },
  adminListReorders: {
    method: 'GET',
    path: '/admin/inventory/reorder',
    handler: 'functions/api/admin-list-reorders.ts',
    access: admins,
    apiKeyRequired: true,
    summary: 'The products at or below their reorder point at the last forecast, with the quantity to order',
  },
  adminListReviews: {
    method: 'GET',
    path: '/admin/reviews',
    handler: 'functions/api/admin-list-reviews.ts',
    access: admins,
    apiKeyRequired: true,
    summary: 'The risk review queue: orders scored for review (REVIEW), oldest first, with their risk decision',
  },
  adminApproveReview: {
    method: 'POST',
    path: '/admin/reviews/{orderId}/approve',
    handler: 'functions/api/admin-approve-review.ts',
    access: admins,
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Approve an order waiting for review: it continues to CONFIRMED (who, when and the note are recorded)',
  },
  adminRejectReview: {
    method: 'POST',
    path: '/admin/reviews/{orderId}/reject',
    handler: 'functions/api/admin-reject-review.ts',
    access: admins,
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Reject an order waiting for review: its payment is voided, its stock released, it fails RISK_REJECTED',
  },
  adminRefundOrder: {
    method: 'POST',
    path: '/admin/orders/{orderId}/refunds',
    handler: 'functions/api/admin-refund-order.ts',
    access: admins,
    apiKeyRequired: true,
    idempotent: true,
    summary: 'Refund part or all of a fulfilled order, with a reason; restock only the lines that came back',
  },
  stripeWebhook: {
    method: 'POST',
    path: '/webhooks/stripe',
    handler: 'functions/api/stripe-webhook.ts',
    // Stripe calls it with neither a token nor an API key: the Stripe-Signature header is the authentication.
    access: 'public',
    apiKeyRequired: false,
    rawBody: true,
    summary: "Stripe's webhook: signed PaymentIntent, refund and dispute events, each processed once",
  },
  // Not idempotent: a stored answer would keep the signing secret, which is shown once. A retried registration
  // makes a second endpoint, which the list shows and the caller deletes.
  createWebhook: {
    method: 'POST',
    path: '/webhooks',
    handler: 'functions/api/create-webhook.ts',
    access: partnersAndAdmins('orders/write'),
    apiKeyRequired: true,
    summary: 'Register a webhook endpoint for order events; answers its signing secret, shown this once',
  },
  listWebhooks: {
    method: 'GET',
    path: '/webhooks',
    handler: 'functions/api/list-webhooks.ts',
    access: partnersAndAdmins('orders/read'),
    apiKeyRequired: true,
    summary: "The caller's webhook endpoints (never their secrets)",
  },
  deleteWebhook: {
    method: 'DELETE',
    path: '/webhooks/{webhookId}',
    handler: 'functions/api/delete-webhook.ts',
    access: partnersAndAdmins('orders/write'),
    apiKeyRequired: true,
    summary: 'Delete a webhook endpoint: nothing more is sent to it',
  },
  rotateWebhookSecret: {
    method: 'POST',
    path: '/webhooks/{webhookId}/rotate-secret',
    handler: 'functions/api/rotate-webhook-secret.ts',
    access: partnersAndAdmins('orders/write'),
    apiKeyRequired: true,
    summary: 'A new signing secret, shown once; the previous one keeps signing alongside for 24 hours',
  },
  listWebhookDeliveries: {
    method: 'GET',
    path: '/webhooks/{webhookId}/deliveries',
    handler: 'functions/api/list-webhook-deliveries.ts',
    access: partnersAndAdmins('orders/read'),
    apiKeyRequired: true,
    summary: "A webhook endpoint's deliveries, newest event first: status, attempts, last answer, next attempt",
  },
  retryWebhookDelivery: {
    method: 'POST',
    path: '/webhooks/{webhookId}/deliveries/{deliveryId}/retry',
    handler: 'functions/api/retry-webhook-delivery.ts',
    access: partnersAndAdmins('orders/write'),
    apiKeyRequired: true,
    summary: 'Send a delivery again now (a new series of attempts), whatever its status',
  },
  replayWebhook: {
    method: 'POST',
    path: '/webhooks/{webhookId}/replay',
    handler: 'functions/api/replay-webhook.ts',
    access: partnersAndAdmins('orders/write'),
    apiKeyRequired: true,
    summary: "Deliver again the endpoint's events of a time range (the last 30 days)",
  },
} as const satisfies Record<string, RouteDefinition>;

export type RouteId = keyof typeof routes;

export const routeList: readonly (RouteDefinition & { readonly id: RouteId })[] = Object.entries(routes).map(
  ([id, route]) => ({ id: id as RouteId, ...route }),
);

/** Whether a caller with these groups and scopes may call the route (the authorization matrix, in one place). */
export function mayCall(
  route: RouteDefinition,
  caller: { readonly groups: readonly string[]; readonly scopes: readonly string[] },
): boolean {
  if (route.access === 'public') return true;
  return (
    route.access.groups.some((group) => caller.groups.includes(group)) ||
    route.access.partnerScopes.some((scope) => caller.scopes.includes(scope))
  );
}

/** The OAuth scopes API Gateway's authorizer accepts on a route: any user's access token, or the partner scopes. */
export function authorizationScopes(route: RouteDefinition): string[] {
  if (route.access === 'public') return [];
  return [userScope, ...route.access.partnerScopes];
}
