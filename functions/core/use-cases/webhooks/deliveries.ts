import { NotFoundError, ValidationError } from '../../domain/errors';
import {
  deliveryIdRange,
  deliveryRetentionDays,
  type DeliveryQueue,
  type WebhookDelivery,
  type WebhookStore,
} from '../../domain/webhooks';
import { ownEndpoint } from './endpoints';
import { firstMessage } from './fan-out';

/** Deliveries replayed per request: a larger range is replayed in several requests (`resumeFrom`). */
export const maxReplayPerRequest = 100;

export interface RedeliveryDeps {
  readonly store: WebhookStore;
  readonly queue: DeliveryQueue;
  readonly now?: () => Date;
}

/** A page of the owner's endpoint's deliveries, newest event first (404 for an endpoint that is not the owner's). */
export async function listDeliveries(
  store: WebhookStore,
  ownerId: string,
  webhookId: string,
  page: { limit: number; cursor?: string },
): Promise<{ deliveries: WebhookDelivery[]; nextCursor?: string }> {
  await ownEndpoint(store, ownerId, webhookId);
  return store.listDeliveries(webhookId, page);
}

/**
 * Sends a delivery again, whatever its status: a new series of attempts on the retry schedule, with the same
 * `webhook-id` (receivers deduplicate on it). Stale messages of the previous series are dropped by the sender.
 */
export async function retryDelivery(
  deps: RedeliveryDeps,
  ownerId: string,
  webhookId: string,
  deliveryId: string,
): Promise<WebhookDelivery> {
  await ownEndpoint(deps.store, ownerId, webhookId);
  const restarted = await deps.store.startSeries(webhookId, deliveryId, now(deps));
  if (!restarted) throw new NotFoundError('no such delivery of this webhook endpoint');
  await deps.queue.send(firstMessage(restarted));
  return restarted;
}

/**
 * Delivers again every event of [from, to] this endpoint was sent, read from its delivery records (kept 30 days,
 * so that is how far back a replay reaches). At most `maxReplayPerRequest` per call: `resumeFrom` says where the
 * next call starts when more remain.
 */
export async function replayDeliveries(
  deps: RedeliveryDeps,
  ownerId: string,
  webhookId: string,
  range: { from: string; to: string },
): Promise<{ replayed: number; resumeFrom?: string }> {
  if (Date.parse(range.from) > Date.parse(range.to)) {
    throw new ValidationError('invalid replay', [{ path: 'to', message: 'must not be before `from`' }]);
  }
  const oldest = Date.parse(now(deps)) - deliveryRetentionDays * 24 * 60 * 60 * 1000;
  if (Date.parse(range.to) < oldest) {
    throw new ValidationError('invalid replay', [
      { path: 'to', message: `deliveries are kept ${deliveryRetentionDays} days: nothing older can be replayed` },
    ]);
  }
  await ownEndpoint(deps.store, ownerId, webhookId);
  const { low, high } = deliveryIdRange(range.from, range.to);
  const deliveries = await deps.store.deliveriesBetween(webhookId, low, high, maxReplayPerRequest + 1);
  const batch = deliveries.slice(0, maxReplayPerRequest);
  for (const delivery of batch) {
    const restarted = await deps.store.startSeries(webhookId, delivery.deliveryId, now(deps));
    if (restarted) await deps.queue.send(firstMessage(restarted));
  }
  const next = deliveries[maxReplayPerRequest];
  return { replayed: batch.length, ...(next ? { resumeFrom: next.occurredAt } : {}) };
}

function now(deps: RedeliveryDeps): string {
  return (deps.now?.() ?? new Date()).toISOString();
}
