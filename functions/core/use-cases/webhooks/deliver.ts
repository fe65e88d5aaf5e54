import { Webhook } from 'standardwebhooks';
import { eventSchemaVersion, type DomainEvent } from '../../domain/events';
import {
  deliveryTimeoutMs,
  excerptOf,
  nextRetryDelayMs,
  signingSecrets,
  type DeliveryMessage,
  type DeliveryQueue,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookSender,
  type WebhookStore,
} from '../../domain/webhooks';

export interface DeliverDeps {
  readonly store: WebhookStore;
  readonly queue: DeliveryQueue;
  readonly send: WebhookSender;
  /** Seconds between attempts (WEBHOOK_RETRY_SCHEDULE_SECONDS). */
  readonly schedule: readonly number[];
  /** An endpoint failing for this long is disabled (WEBHOOK_DISABLE_AFTER_SECONDS). */
  readonly disableAfterSeconds: number;
  readonly now?: () => Date;
  readonly random?: () => number;
}

export type DeliveryOutcome =
  'not-due' | 'stale' | 'delivered' | 'retrying' | 'failed' | 'endpoint-gone' | 'endpoint-disabled' | 'resumed';

/** How long an attempt may have been claimed without an outcome before it counts as lost (the worker died). */
const lostAttemptMs = 6 * deliveryTimeoutMs;

/** The Standard Webhooks headers of a delivery: its event id, the time, one v1 signature per valid secret. */
export function signedHeaders(endpoint: WebhookEndpoint, delivery: WebhookDelivery, at: Date): Record<string, string> {
  const signature = signingSecrets(endpoint, at)
    .map((secret) => new Webhook(secret).sign(delivery.eventId, at, delivery.payload))
    .join(' ');
  return {
    'content-type': 'application/json',
    'user-agent': 'orders-webhooks/1',
    'webhook-id': delivery.eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

/**
 * One message of the delivery queue: makes the attempt it stands for, once. The claim (a conditional write on the
 * delivery's attempt count) lets exactly one of the duplicate messages SQS or a retry may produce through. A failed
 * attempt queues the next on the schedule (delays beyond SQS's 15 minutes are chained: an early message is sent
 * back with the rest of its wait); when the schedule is spent the delivery fails and goes to the dead-letter queue.
 * Every failure extends the endpoint's failure streak; a streak as long as `disableAfterSeconds` disables the
 * endpoint and tells its owner with webhook.endpoint-disabled (written with the change: the outbox).
 */
export async function deliver(deps: DeliverDeps, message: DeliveryMessage): Promise<DeliveryOutcome> {
  const now = deps.now?.() ?? new Date();
  const at = now.toISOString();
  if (message.notBefore !== undefined) {
    const waitMs = Date.parse(message.notBefore) - now.getTime();
    if (waitMs > 1000) {
      await deps.queue.send(message, waitMs / 1000);
      return 'not-due';
    }
  }
  const claimed = await deps.store.claimAttempt(message.webhookId, message.deliveryId, message.attempt, at);
  if (!claimed) return resumeLostAttempt(deps, message, now);
  const endpoint = await deps.store.getEndpoint(message.ownerId, message.webhookId);
  if (!endpoint || endpoint.status !== 'enabled') {
    await deps.store.recordAttempt(message.webhookId, message.deliveryId, message.attempt, {
      status: 'failed',
      at,
      excerpt: endpoint ? 'not sent: the endpoint is disabled' : 'not sent: the endpoint was deleted',
    });
    return endpoint ? 'endpoint-disabled' : 'endpoint-gone';
  }
  const result = await deps.send({
    url: endpoint.url,
    headers: signedHeaders(endpoint, claimed, now),
    body: claimed.payload,
  });
  const responseCode = result.kind === 'answered' ? result.status : undefined;
  const excerpt = result.kind === 'answered' ? result.excerpt : excerptOf(`no answer: ${result.reason}`);
  if (responseCode !== undefined && responseCode >= 200 && responseCode < 300) {
    await deps.store.recordAttempt(message.webhookId, message.deliveryId, message.attempt, {
      status: 'delivered',
      at,
      responseCode,
      excerpt,
    });
    await deps.store.noteSuccess(endpoint.ownerId, endpoint.webhookId);
    return 'delivered';
  }
  const outcome = { at, excerpt, ...(responseCode === undefined ? {} : { responseCode }) };
  if (await disableIfFailingTooLong(deps, endpoint, now)) {
    await deps.store.recordAttempt(message.webhookId, message.deliveryId, message.attempt, {
      ...outcome,
      status: 'failed',
    });
    return 'endpoint-disabled';
  }
  const delayMs = nextRetryDelayMs(deps.schedule, claimed.attempts - claimed.seriesStart, deps.random);
  if (delayMs === undefined) {
    // The outcome first: the dead-lettered message is for operators, the delivery record is the truth.
    await deps.store.recordAttempt(message.webhookId, message.deliveryId, message.attempt, {
      ...outcome,
      status: 'failed',
    });
    await deps.queue.deadLetter({ ...message, reason: excerpt });
    return 'failed';
  }
  const nextAttemptAt = new Date(now.getTime() + delayMs).toISOString();
  // The next message before the record: should the record fail, the message still finds the attempt claimed.
  await deps.queue.send({ ...message, attempt: message.attempt + 1, notBefore: nextAttemptAt }, delayMs / 1000);
  await deps.store.recordAttempt(message.webhookId, message.deliveryId, message.attempt, {
    ...outcome,
    status: 'pending',
    nextAttemptAt,
  });
  return 'retrying';
}

/**
 * A message whose attempt was claimed already. Usually a duplicate (dropped); but when the claimed attempt never
 * recorded an outcome long after it began, the worker that made it died (a timeout, a crash) and this redelivered
 * message is the only trace left: the lost attempt counts as failed and the next one is queued.
 */
async function resumeLostAttempt(deps: DeliverDeps, message: DeliveryMessage, now: Date): Promise<DeliveryOutcome> {
  const delivery = await deps.store.getDelivery(message.webhookId, message.deliveryId);
  const lost =
    delivery?.status === 'pending' &&
    delivery.attempts === message.attempt &&
    delivery.nextAttemptAt === undefined &&
    delivery.lastAttemptAt !== undefined &&
    now.getTime() - Date.parse(delivery.lastAttemptAt) > lostAttemptMs;
  if (!lost) return 'stale';
  await deps.queue.send({ ...message, attempt: message.attempt + 1 });
  return 'resumed';
}

async function disableIfFailingTooLong(deps: DeliverDeps, endpoint: WebhookEndpoint, now: Date): Promise<boolean> {
  const failingSince = await deps.store.noteFailure(endpoint.ownerId, endpoint.webhookId, now.toISOString());
  if (failingSince === undefined) return false;
  if (now.getTime() - Date.parse(failingSince) < deps.disableAfterSeconds * 1000) return false;
  const at = now.toISOString();
  await deps.store.disableEndpoint(
    endpoint.ownerId,
    endpoint.webhookId,
    at,
    endpointDisabledEvent(endpoint, failingSince, at),
  );
  return true;
}

/** Tells the owner its endpoint was disabled (no secret, no payload: where it pointed and since when it failed). */
export function endpointDisabledEvent(
  endpoint: WebhookEndpoint,
  failingSince: string,
  disabledAt: string,
): DomainEvent {
  return {
    id: `${endpoint.webhookId}:webhook.endpoint-disabled`,
    type: 'webhook.endpoint-disabled',
    version: eventSchemaVersion,
    occurredAt: disabledAt,
    data: {
      webhookId: endpoint.webhookId,
      ownerId: endpoint.ownerId,
      url: endpoint.url,
      failingSince,
      disabledAt,
    },
  };
}
