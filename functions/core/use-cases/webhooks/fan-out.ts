import type { DomainEvent } from '../../domain/events';
import {
  deliveryIdOf,
  endpointWants,
  ownerOfEvent,
  ownersToNotify,
  type DeliveryQueue,
  type WebhookDelivery,
  type WebhookStore,
} from '../../domain/webhooks';

export interface FanOutDeps {
  readonly store: WebhookStore;
  readonly queue: DeliveryQueue;
  readonly now?: () => Date;
}

/**
 * Records one delivery per endpoint that wants the event (its order's partner's endpoints and the admins'), and
 * queues each for sending. The delivery id follows from the endpoint and the event, so an event delivered to the
 * fan-out twice finds its deliveries and records nothing new. A delivery no attempt was made for yet is queued
 * again then: the run that recorded it may have stopped before queuing it, and the sender's claim lets only one of
 * two messages for the same attempt through.
 */
export async function fanOutEvent(
  deps: FanOutDeps,
  event: DomainEvent,
): Promise<{ readonly recorded: number; readonly existing: number }> {
  const owners = ownersToNotify(ownerOfEvent(event));
  const endpoints = (await Promise.all(owners.map((owner) => deps.store.listEndpoints(owner))))
    .flat()
    .filter((endpoint) => endpointWants(endpoint, event));
  const at = (deps.now?.() ?? new Date()).toISOString();
  let recorded = 0;
  for (const endpoint of endpoints) {
    const delivery: WebhookDelivery = {
      deliveryId: deliveryIdOf(endpoint.webhookId, event),
      webhookId: endpoint.webhookId,
      ownerId: endpoint.ownerId,
      eventId: event.id,
      eventType: event.type,
      occurredAt: event.occurredAt,
      payload: JSON.stringify(event),
      status: 'pending',
      attempts: 0,
      seriesStart: 0,
      nextAttemptAt: at,
      createdAt: at,
      updatedAt: at,
    };
    const { delivery: stored, created } = await deps.store.addDelivery(delivery);
    if (created) recorded++;
    if (created || (stored.status === 'pending' && stored.attempts === 0)) {
      await deps.queue.send(firstMessage(stored));
    }
  }
  return { recorded, existing: endpoints.length - recorded };
}

/** The message of a delivery's next attempt, due now. */
export function firstMessage(delivery: WebhookDelivery) {
  return {
    ownerId: delivery.ownerId,
    webhookId: delivery.webhookId,
    deliveryId: delivery.deliveryId,
    attempt: delivery.attempts + 1,
  };
}
