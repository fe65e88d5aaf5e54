/**
 * The route table: the one list of API routes. The CDK API stack builds API Gateway resources, methods, authorizers
 * and Lambda functions from it; the local gateway serves exactly the same routes with the same handler modules.
 */
export type Group = 'customers' | 'admins';

export interface RouteDefinition {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway resource path, with {placeholders}. */
  readonly path: string;
  /** Handler module, relative to the project root; it exports `handler`. */
  readonly handler: string;
  /** Who may call it: `public` (no token) or the Cognito groups allowed (any one is enough). */
  readonly access: 'public' | readonly Group[];
  readonly summary: string;
  /** Method throttle (requests per second, burst); the stage default applies when absent. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
}

export const routes = {
  health: {
    method: 'GET',
    path: '/health',
    handler: 'functions/api/get-health.ts',
    access: 'public',
    summary: 'Liveness check',
  },
  listProducts: {
    method: 'GET',
    path: '/products',
    handler: 'functions/api/list-products.ts',
    access: 'public',
    summary: 'List the catalog with prices and available stock',
  },
  placeOrder: {
    method: 'POST',
    path: '/orders',
    handler: 'functions/api/place-order.ts',
    access: ['customers'],
    summary: 'Place an order; answers 202 with the PENDING order and starts the saga',
    throttle: { rateLimit: 50, burstLimit: 100 },
  },
  getOrder: {
    method: 'GET',
    path: '/orders/{orderId}',
    handler: 'functions/api/get-order.ts',
    access: ['customers'],
    summary: "Read one of the caller's orders",
  },
} as const satisfies Record<string, RouteDefinition>;

export type RouteId = keyof typeof routes;

export const routeList: readonly (RouteDefinition & { readonly id: RouteId })[] = Object.entries(routes).map(
  ([id, route]) => ({ id: id as RouteId, ...route }),
);
