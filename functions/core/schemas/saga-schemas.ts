import * as z from 'zod/mini';
import { schema } from './schema';
import { failureReasons } from '../domain/order';
import { identifier } from './identifier';

/**
 * What the state machine passes to each task (see statemachines/order-saga.asl.json): ids only. A step reads what
 * else it needs (the payment method, say) from the order, so no execution's input, output or log holds payment data.
 */
export const sagaTaskInput = /* @__PURE__ */ schema(() => z.object({ orderId: identifier }));
/** A compensation: the saga passes the failure reason it decided; the cancellation workflow passes none. */
export const compensationInput = /* @__PURE__ */ schema(() =>
  z.object({ orderId: identifier, reason: z.optional(z.enum(failureReasons)) }),
);
export const markOrderFailedInput = /* @__PURE__ */ schema(() =>
  z.object({ orderId: identifier, reason: z.enum(failureReasons) }),
);
export const flagForAttentionInput = /* @__PURE__ */ schema(() =>
  z.object({
    orderId: identifier,
    reason: z.string().check(z.minLength(1), z.maxLength(500)),
    /** The error the last compensation failed with, as Step Functions' Catch records it. */
    error: z.optional(z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
  }),
);
