import * as z from 'zod/mini';
import { orderEventTypes } from '../domain/events';
import { identifier } from './identifier';

/** The API contract of partner webhooks (docs/webhooks.md). */

const webhookUrl = z.string().check(
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
);

export const createWebhookRequest = z.strictObject({
  url: webhookUrl,
  eventTypes: z
    .array(z.enum(orderEventTypes))
    .check(z.minLength(1), z.maxLength(orderEventTypes.length), z.describe('The order event types to receive')),
  description: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
});

export const webhookIdPath = z.strictObject({
  webhookId: identifier.check(z.describe('The webhook endpoint id, as returned when it was registered')),
});
export const webhookDeliveryPath = z.strictObject({
  webhookId: identifier.check(z.describe('The webhook endpoint id')),
  deliveryId: identifier.check(z.describe('The delivery id, as the deliveries list shows it')),
});

export const listDeliveriesQuery = z.strictObject({
  limit: z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(100), z.describe('Page size'))),
  cursor: z.optional(
    z.string().check(z.minLength(1), z.maxLength(4096), z.describe('The `nextCursor` of the previous page')),
  ),
});

export const replayWebhookRequest = z.strictObject({
  from: z.iso.datetime().check(z.describe('Events that occurred at or after this time (UTC)')),
  to: z.iso.datetime().check(z.describe('Events that occurred at or before this time (UTC)')),
});

/** An endpoint as every answer shows it: never its secret. */
export const webhookResponse = z.object({
  webhookId: z.string(),
  url: z.string(),
  eventTypes: z.array(z.string()),
  description: z.optional(z.string()),
  status: z.enum(['enabled', 'disabled']),
  failingSince: z.optional(z.string()),
  disabledAt: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** The answer that creates or rotates a secret: the only one that shows it. */
export const webhookWithSecretResponse = z.extend(webhookResponse, {
  secret: z.string().check(z.describe('The signing secret (whsec_…): shown this once, store it now')),
  previousSecretExpiresAt: z.optional(
    z.string().check(z.describe('Until then deliveries are signed with the previous secret as well')),
  ),
});
export const webhookListResponse = z.object({ webhooks: z.array(webhookResponse) });

export const webhookDeliveryResponse = z.object({
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
});
export const webhookDeliveryPageResponse = z.object({
  deliveries: z.array(webhookDeliveryResponse),
  nextCursor: z.optional(z.string()),
});
export const replayWebhookResponse = z.object({
  replayed: z.int(),
  resumeFrom: z.optional(z.string().check(z.describe('More remain: replay again with this as `from`'))),
});
