import * as z from 'zod/mini';
import { failureReasons } from '../domain/order';
import { identifier } from './api-schemas';

/** What the state machine passes to each task (see statemachines/order-saga.asl.json). */
export const sagaTaskInput = z.object({ orderId: identifier });
export const authorizePaymentInput = z.object({ orderId: identifier, paymentToken: z.string().check(z.minLength(1)) });
export const failOrderInput = z.object({ orderId: identifier, reason: z.enum(failureReasons) });
