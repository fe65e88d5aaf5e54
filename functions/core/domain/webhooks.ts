import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { DomainEvent, OrderEventType } from './events';
import { callerKindOf } from './tenancy';

/**
 * Partner webhooks (docs/webhooks.md): endpoints that partners and admins register, and one delivery per endpoint
 * and event, sent with Standard Webhooks headers and signatures and retried with backoff until the endpoint answers
 * 2xx or the schedule is spent.
 */

/** Who owns an endpoint: a partner (`partner:<partnerId>`, the owner id of its orders) or the admins together. */
export const adminWebhookOwner = 'admins';

/** Endpoints per owner: enough for staging and production receivers per event family, small enough to fan out fast. */
export const maxEndpointsPerOwner = 10;

/** How long a rotated-out secret keeps signing next to the new one, so receivers can switch without losing events. */
export const previousSecretGraceMs = 24 * 60 * 60 * 1000;

/** How long delivery records (with the event they carry) are kept: the window of the deliveries list and of replay. */
export const deliveryRetentionDays = 30;

/** How much of a receiver's answer is kept: enough to see an error message, never a whole page of someone's HTML. */
export const responseExcerptLength = 256;

/** A delivery that gets no answer within this is a failed attempt (and frees the worker for others). */
export const deliveryTimeoutMs = 10_000;

/**
 * The production retry schedule, in seconds between attempts: the Standard Webhooks reference schedule (5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h), eight attempts over about 27.6 hours. With ±10 % jitter the last attempt is still
 * more than 24 hours after the first. Tests shorten it through WEBHOOK_RETRY_SCHEDULE_SECONDS.
 */
export const defaultRetryScheduleSeconds: readonly number[] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/** An endpoint whose deliveries have all failed for this long is disabled (and its owner told). */
export const defaultDisableAfterSeconds = 5 * 24 * 60 * 60;

export type EndpointStatus = 'enabled' | 'disabled';

export interface WebhookEndpoint {
  readonly webhookId: string;
  readonly ownerId: string;
  readonly url: string;
  readonly eventTypes: readonly OrderEventType[];
  readonly description?: string;
  readonly status: EndpointStatus;
  /** The signing secret (`whsec_…`), shown once when created or rotated. Never in a view, a log or an event. */
  readonly secret: string;
  /** The secret before the last rotation, still signing until `previousSecretExpiresAt`. */
  readonly previousSecret?: string;
  readonly previousSecretExpiresAt?: string;
  /** When the first of the failures in a row happened; cleared by any successful delivery. */
  readonly failingSince?: string;
  readonly disabledAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly ownerId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  /** The event exactly as it is sent (the JSON the signature covers is built from it). */
  readonly payload: string;
  readonly status: DeliveryStatus;
  /** Every attempt ever made, manual retries and replays included. */
  readonly attempts: number;
  /** `attempts` when the current series began (a manual retry or a replay starts a new series). */
  readonly seriesStart: number;
  readonly lastAttemptAt?: string;
  readonly lastResponseCode?: number;
  /** At most `responseExcerptLength` characters of the last answer's body, or why there was no answer. */
  readonly lastResponseExcerpt?: string;
  readonly nextAttemptAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What the delivery queue carries: which delivery, which attempt, and not before when. */
export interface DeliveryMessage {
  readonly ownerId: string;
  readonly webhookId: string;
  readonly deliveryId: string;
  /** The attempt this message stands for (the delivery's `attempts` once it is claimed): older messages are stale. */
  readonly attempt: number;
  readonly notBefore?: string;
}

/** A new endpoint id: unguessable, so ids say nothing about other owners' endpoints. */
export function newWebhookId(): string {
  return `wh_${randomUUID().replaceAll('-', '')}`;
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The delivery of an event to an endpoint has one id, whoever computes it and however often: a redelivered event
 * finds the delivery it already made. It starts with the event's time so that an endpoint's deliveries sort (and
 * are listed and replayed) by event time.
 */
export function deliveryIdOf(webhookId: string, event: Pick<DomainEvent, 'id' | 'occurredAt'>): string {
  const time = compactTime(event.occurredAt);
  const hash = createHash('sha256').update(`${webhookId}\n${event.id}`).digest('base64url').slice(0, 22);
  return `dlv_${time}_${hash}`;
}

/** The smallest and largest delivery ids of events in [from, to]: the key range of a replay. */
export function deliveryIdRange(from: string, to: string): { readonly low: string; readonly high: string } {
  return { low: `dlv_${compactTime(from)}`, high: `dlv_${compactTime(to)}~` };
}

/** `20261203T124006123Z`: sorts as the time does, and fits an id. */
function compactTime(iso: string): string {
  return new Date(iso).toISOString().replace(/[-:.]/g, '');
}

/** Whose events an order event is: the order's owner id (a partner's orders carry `partner:<partnerId>`). */
export function ownerOfEvent(event: DomainEvent): string | undefined {
  const customerId = (event.data as { customerId?: unknown } | undefined)?.customerId;
  return typeof customerId === 'string' ? customerId : undefined;
}

/** The owners whose endpoints hear about an order: its partner (if a partner placed it) and the admins. */
export function ownersToNotify(orderOwner: string | undefined): string[] {
  return orderOwner !== undefined && callerKindOf(orderOwner) === 'partner'
    ? [orderOwner, adminWebhookOwner]
    : [adminWebhookOwner];
}

/** Whether an endpoint takes this event: enabled, subscribed to its type, and allowed to see the order. */
export function endpointWants(endpoint: WebhookEndpoint, event: DomainEvent): boolean {
  if (endpoint.status !== 'enabled') return false;
  if (!(endpoint.eventTypes as readonly string[]).includes(event.type)) return false;
  return endpoint.ownerId === adminWebhookOwner || endpoint.ownerId === ownerOfEvent(event);
}

/** The secrets that sign a delivery now: the current one, and the previous one during its grace period. */
export function signingSecrets(endpoint: WebhookEndpoint, now: Date): string[] {
  const previousValid =
    endpoint.previousSecret !== undefined &&
    endpoint.previousSecretExpiresAt !== undefined &&
    Date.parse(endpoint.previousSecretExpiresAt) > now.getTime();
  return previousValid ? [endpoint.secret, endpoint.previousSecret!] : [endpoint.secret];
}

/**
 * The wait before the next attempt of a series, or undefined when the series is spent. `attemptInSeries` counts
 * from 1 (the attempt just made). Jitter of ±10 % spreads retries of many deliveries that failed together (a
 * receiver's outage) so they do not all come back at the same second.
 */
export function nextRetryDelayMs(
  schedule: readonly number[],
  attemptInSeries: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attemptInSeries - 1];
  if (base === undefined) return undefined;
  return Math.round(base * 1000 * (0.9 + 0.2 * random()));
}

/** A receiver's answer body, cut to the excerpt that is kept. */
export function excerptOf(text: string): string {
  return text.length <= responseExcerptLength ? text : text.slice(0, responseExcerptLength);
}

/** Where endpoints and deliveries are kept (functions/core/adapters/dynamodb/webhook-store.ts). */
export interface WebhookStore {
  /** Adds the endpoint unless its owner has `cap` already: false then, and nothing written. */
  createEndpoint(endpoint: WebhookEndpoint, cap: number): Promise<boolean>;
  getEndpoint(ownerId: string, webhookId: string): Promise<WebhookEndpoint | undefined>;
  /** An owner's endpoints (at most the cap): one Query. */
  listEndpoints(ownerId: string): Promise<WebhookEndpoint[]>;
  deleteEndpoint(ownerId: string, webhookId: string): Promise<boolean>;
  /** Makes `secret` the signing secret; the old one keeps signing until `previousExpiresAt`. */
  rotateSecret(
    ownerId: string,
    webhookId: string,
    secret: string,
    previousExpiresAt: string,
    at: string,
  ): Promise<WebhookEndpoint | undefined>;
  /** Notes a failed attempt: returns since when the endpoint has been failing (this failure's time if it was not). */
  noteFailure(ownerId: string, webhookId: string, at: string): Promise<string | undefined>;
  noteSuccess(ownerId: string, webhookId: string): Promise<void>;
  /**
   * Disables an enabled endpoint, writing `event` (webhook.endpoint-disabled) on it in the same write (the outbox):
   * true only for the call that did it.
   */
  disableEndpoint(ownerId: string, webhookId: string, at: string, event: DomainEvent): Promise<boolean>;
  /** Records the delivery unless it exists: the stored one either way, and whether it was new. */
  addDelivery(delivery: WebhookDelivery): Promise<{ delivery: WebhookDelivery; created: boolean }>;
  getDelivery(webhookId: string, deliveryId: string): Promise<WebhookDelivery | undefined>;
  /** An endpoint's deliveries, newest event first. */
  listDeliveries(
    webhookId: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ deliveries: WebhookDelivery[]; nextCursor?: string }>;
  /** Deliveries whose id lies in [low, high] (events of a time range), oldest first, at most `limit`. */
  deliveriesBetween(webhookId: string, low: string, high: string, limit: number): Promise<WebhookDelivery[]>;
  /**
   * Claims attempt number `attempt` of a pending delivery (its attempts were `attempt - 1`): the claimed delivery, or
   * undefined when the message is stale or another worker claimed it.
   */
  claimAttempt(
    webhookId: string,
    deliveryId: string,
    attempt: number,
    at: string,
  ): Promise<WebhookDelivery | undefined>;
  /** Records how attempt `attempt` ended (only while no later attempt was claimed). */
  recordAttempt(webhookId: string, deliveryId: string, attempt: number, outcome: AttemptOutcome): Promise<void>;
  /** Starts a new series of attempts (manual retry, replay): pending again, the schedule from its start. */
  startSeries(webhookId: string, deliveryId: string, at: string): Promise<WebhookDelivery | undefined>;
}

export interface AttemptOutcome {
  readonly status: DeliveryStatus;
  readonly at: string;
  readonly responseCode?: number;
  readonly excerpt: string;
  readonly nextAttemptAt?: string;
}

/** The delivery queue (SQS in AWS, the local emulator's offline). */
export interface DeliveryQueue {
  send(message: DeliveryMessage, delaySeconds?: number): Promise<void>;
  /** Parks a delivery whose retries are spent in the dead-letter queue, for operators. */
  deadLetter(message: DeliveryMessage & { readonly reason: string }): Promise<void>;
}

/** Resolves a host name to every address it has (A and AAAA), as the sender will connect. */
export type HostResolver = (host: string) => Promise<readonly string[]>;

/** What one HTTP attempt got: a status code and the start of the body, or no answer and why. */
export type SendResult =
  | { readonly kind: 'answered'; readonly status: number; readonly excerpt: string }
  | { readonly kind: 'no-answer'; readonly reason: string };

/** Posts a signed event to an endpoint (functions/core/adapters/webhook-sender.ts). */
export type WebhookSender = (request: {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}) => Promise<SendResult>;
