import type * as z from 'zod/mini';
import type { WebhookDelivery, WebhookEndpoint } from '../core/domain/webhooks';
import type {
  webhookDeliveryResponse,
  webhookResponse,
  webhookWithSecretResponse,
} from '../core/schemas/webhook-schemas';

/** An endpoint as the API shows it: everything but its secrets. */
export function webhookView(endpoint: WebhookEndpoint): z.output<typeof webhookResponse> {
  return {
    webhookId: endpoint.webhookId,
    url: endpoint.url,
    eventTypes: [...endpoint.eventTypes],
    ...(endpoint.description === undefined ? {} : { description: endpoint.description }),
    status: endpoint.status,
    ...(endpoint.failingSince === undefined ? {} : { failingSince: endpoint.failingSince }),
    ...(endpoint.disabledAt === undefined ? {} : { disabledAt: endpoint.disabledAt }),
    createdAt: endpoint.createdAt,
    updatedAt: endpoint.updatedAt,
  };
}

/** The one view with the secret: the answer to creating the endpoint or rotating its secret. */
export function webhookWithSecretView(endpoint: WebhookEndpoint): z.output<typeof webhookWithSecretResponse> {
  return {
    ...webhookView(endpoint),
    secret: endpoint.secret,
    ...(endpoint.previousSecretExpiresAt === undefined
      ? {}
      : { previousSecretExpiresAt: endpoint.previousSecretExpiresAt }),
  };
}

/** A delivery without the event it carries (the receiver has it; the list stays small). */
export function deliveryView(delivery: WebhookDelivery): z.output<typeof webhookDeliveryResponse> {
  return {
    deliveryId: delivery.deliveryId,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    occurredAt: delivery.occurredAt,
    status: delivery.status,
    attempts: delivery.attempts,
    ...(delivery.lastAttemptAt === undefined ? {} : { lastAttemptAt: delivery.lastAttemptAt }),
    ...(delivery.lastResponseCode === undefined ? {} : { lastResponseCode: delivery.lastResponseCode }),
    ...(delivery.lastResponseExcerpt === undefined ? {} : { lastResponseExcerpt: delivery.lastResponseExcerpt }),
    ...(delivery.nextAttemptAt === undefined ? {} : { nextAttemptAt: delivery.nextAttemptAt }),
    createdAt: delivery.createdAt,
  };
}
