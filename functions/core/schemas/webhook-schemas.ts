import * as z from 'zod/mini';
import { schema } from './schema';
import { orderEventTypes } from '../domain/events';
import { identifier } from './identifier';

/** The API contract of partner webhooks (docs/webhooks.md). */

const webhookUrl = /* @__PURE__ */ schema(() =>
  z.string().check(
    z.trim(),
    z.maxLength(2048),
    z.refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'https:' || url.protocol === 'http:';
      } catch {
        return false;
      }
    }, 'must be an absolute https URL'),
    z.describe('Where deliveries are POSTed: https (the host must resolve to public addresses only)'),
  ),
);

export const createWebhookRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    url: webhookUrl,
    eventTypes: z
      .array(z.enum(orderEventTypes))
      .check(z.minLength(1), z.maxLength(orderEventTypes.length), z.describe('The order event types to receive')),
    description: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
  }),
);

export const webhookIdPath = /* @__PURE__ */ schema(() =>
  z.strictObject({
    webhookId: identifier.check(z.describe('The webhook endpoint id, as returned when it was registered')),
  }),
);
export const webhookDeliveryPath = /* @__PURE__ */ schema(() =>
  z.strictObject({
    webhookId: identifier.check(z.describe('The webhook endpoint id')),
    deliveryId: identifier.check(z.describe('The delivery id, as the deliveries list shows it')),
  }),
);

export const listDeliveriesQuery = /* @__PURE__ */ schema(() =>
  z.strictObject({
    limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100), z.describe('Page size'))),
    cursor: z.optional(
      z.string().check(z.minLength(1), z.maxLength(4096), z.describe('The `nextCursor` of the previous page')),
    ),
  }),
);

export const replayWebhookRequest = /* @__PURE__ */ schema(() =>
  z.strictObject({
    from: z.iso.datetime().check(z.describe('Events that occurred at or after this time (UTC)')),
    to: z.iso.datetime().check(z.describe('Events that occurred at or before this time (UTC)')),
  }),
);

/** An endpoint as every answer shows it: never its secret. */
export const webhookResponse = /* @__PURE__ */ schema(() =>
  z.object({
    webhookId: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    description: z.optional(z.string()),
    status: z.enum(['enabled', 'disabled']),
    failingSince: z.optional(z.string()),
    disabledAt: z.optional(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  }),
);
/** The answer that creates or rotates a secret: the only one that shows it. */
export const webhookWithSecretResponse = /* @__PURE__ */ schema(() =>
  z.extend(webhookResponse, {
    secret: z.string().check(z.describe('The signing secret (whsec_…): shown this once, store it now')),
    previousSecretExpiresAt: z.optional(
      z.string().check(z.describe('Until then deliveries are signed with the previous secret as well')),
    ),
  }),
);
export const webhookListResponse = /* @__PURE__ */ schema(() => z.object({ webhooks: z.array(webhookResponse) }));

export const webhookDeliveryResponse = /* @__PURE__ */ schema(() =>
  z.object({
    deliveryId: z.string(),
    eventId: z.string().check(z.describe('The event id, sent as webhook-id: deduplicate on it')),
    eventType: z.string(),
    occurredAt: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.int(),
    lastAttemptAt: z.optional(z.string()),
    lastResponseCode: z.optional(z.int()),
    lastResponseExcerpt: z.optional(z.string().check(z.describe('At most 256 characters of the last answer'))),
    nextAttemptAt: z.optional(z.string()),
    createdAt: z.string(),
  }),
);
export const webhookDeliveryPageResponse = /* @__PURE__ */ schema(() =>
  z.object({
    deliveries: z.array(webhookDeliveryResponse),
    nextCursor: z.optional(z.string()),
  }),
);
export const replayWebhookResponse = /* @__PURE__ */ schema(() =>
  z.object({
    replayed: z.int(),
    resumeFrom: z.optional(z.string().check(z.describe('More remain: replay again with this as `from`'))),
  }),
);
