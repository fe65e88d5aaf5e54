import * as z from 'zod/mini';
import { schema } from './schema';

/**
 * The ids the API and the workflows pass around (orders, products). On its own so that the saga's tasks, which
 * validate ids only, do not bundle the whole API contract (with its country and postal code tables).
 */
export const identifier = /* @__PURE__ */ schema(() =>
  z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_-]+$/)),
);
