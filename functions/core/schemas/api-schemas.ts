import * as z from 'zod/mini';
import { failureReasons, orderStatuses } from '../domain/order';

/**
 * The API contract. Request schemas are strict (unknown fields are rejected); response schemas document what the
 * API returns. Both runtimes and the generated API description read these.
 */

/** One DynamoDB transaction holds 100 actions; a reservation uses two per line plus two for the order. */
export const maxLinesPerOrder = 25;
export const maxQuantityPerLine = 100;

export const identifier = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/));

export const money = z.strictObject({
  amount: z.int().check(z.gte(0)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
});

export const placeOrderRequest = z.strictObject({
  items: z
    .array(
      z.strictObject({
        productId: identifier,
        quantity: z.int().check(z.gte(1), z.lte(maxQuantityPerLine)),
      }),
    )
    .check(z.minLength(1), z.maxLength(maxLinesPerOrder)),
  paymentToken: z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_-]+$/)),
});
export type PlaceOrderRequest = z.infer<typeof placeOrderRequest>;

export const orderIdPath = z.object({ orderId: identifier });

export const orderLine = z.object({
  productId: z.string(),
  name: z.string(),
  quantity: z.int(),
  unitPrice: money,
  lineTotal: money,
});

export const orderResponse = z.object({
  orderId: z.string(),
  status: z.enum(orderStatuses),
  items: z.array(orderLine),
  total: money,
  createdAt: z.string(),
  updatedAt: z.string(),
  failureReason: z.optional(z.enum(failureReasons)),
});

export const productResponse = z.object({
  productId: z.string(),
  name: z.string(),
  description: z.string(),
  price: money,
  available: z.int(),
  active: z.boolean(),
});

export const problemResponse = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.string(),
  detail: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});
