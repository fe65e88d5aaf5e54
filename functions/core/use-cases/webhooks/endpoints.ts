import { NotFoundError, ValidationError, WebhookLimitError } from '../../domain/errors';
import type { OrderEventType } from '../../domain/events';
import {
  adminWebhookOwner,
  maxEndpointsPerOwner,
  newSigningSecret,
  newWebhookId,
  previousSecretGraceMs,
  type HostResolver,
  type WebhookEndpoint,
  type WebhookStore,
} from '../../domain/webhooks';
import { refusalOf } from '../../domain/network-address';

/** Who owns the endpoints a caller manages: a partner its own, an admin the admins' (shared by the team). */
export function webhookOwnerOf(caller: { readonly kind: 'user' | 'partner'; readonly customerId: string }): string {
  return caller.kind === 'partner' ? caller.customerId : adminWebhookOwner;
}

export interface RegistrationDeps {
  readonly store: WebhookStore;
  readonly resolve: HostResolver;
  /** Plain http to loopback (offline only: WEBHOOKS_ALLOW_LOOPBACK). */
  readonly allowLoopback: boolean;
  readonly now?: () => Date;
}

export interface Registration {
  readonly url: string;
  readonly eventTypes: readonly OrderEventType[];
  readonly description?: string;
}

const invalidUrl = (message: string) => new ValidationError('invalid webhook', [{ path: 'url', message }]);

/**
 * Registers an endpoint: the URL must be https (http to loopback offline) and its host must resolve to public
 * addresses only, checked now and again before every delivery. Answers the endpoint with its secret, which is
 * shown this once. Nothing is stored when anything is refused.
 */
export async function registerEndpoint(
  deps: RegistrationDeps,
  ownerId: string,
  registration: Registration,
): Promise<WebhookEndpoint> {
  // The cheap refusal first: an owner at its cap is answered without resolving anything. The store's transaction
  // enforces the cap again, against concurrent registrations.
  if ((await deps.store.listEndpoints(ownerId)).length >= maxEndpointsPerOwner) throw limitReached();
  const url = new URL(registration.url);
  if (url.username !== '' || url.password !== '') throw invalidUrl('must not carry credentials');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && deps.allowLoopback)) {
    throw invalidUrl('must be an https URL');
  }
  const { reason } = await refusalOf(url, deps.resolve, deps.allowLoopback);
  if (reason) throw invalidUrl(reason);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const endpoint: WebhookEndpoint = {
    webhookId: newWebhookId(),
    ownerId,
    url: url.toString(),
    eventTypes: [...new Set(registration.eventTypes)],
    ...(registration.description === undefined ? {} : { description: registration.description }),
    status: 'enabled',
    secret: newSigningSecret(),
    createdAt: at,
    updatedAt: at,
  };
  if (!(await deps.store.createEndpoint(endpoint, maxEndpointsPerOwner))) throw limitReached();
  return endpoint;
}

const limitReached = () => new WebhookLimitError(`an owner may have at most ${maxEndpointsPerOwner} webhook endpoints`);

/** The owner's endpoint, or a 404 (also for another owner's: ids of others are never confirmed). */
export async function ownEndpoint(store: WebhookStore, ownerId: string, webhookId: string): Promise<WebhookEndpoint> {
  const endpoint = await store.getEndpoint(ownerId, webhookId);
  if (!endpoint) throw new NotFoundError('no such webhook endpoint');
  return endpoint;
}

export async function deleteEndpoint(store: WebhookStore, ownerId: string, webhookId: string): Promise<void> {
  if (!(await store.deleteEndpoint(ownerId, webhookId))) throw new NotFoundError('no such webhook endpoint');
}

/**
 * A new signing secret, shown once. Deliveries are signed with both secrets for 24 hours (Standard Webhooks
 * signature headers carry several signatures), so a receiver can switch to the new one without losing events.
 */
export async function rotateSecret(
  store: WebhookStore,
  ownerId: string,
  webhookId: string,
  now: Date = new Date(),
): Promise<WebhookEndpoint> {
  const previousExpiresAt = new Date(now.getTime() + previousSecretGraceMs).toISOString();
  const rotated = await store.rotateSecret(
    ownerId,
    webhookId,
    newSigningSecret(),
    previousExpiresAt,
    now.toISOString(),
  );
  if (!rotated) throw new NotFoundError('no such webhook endpoint');
  return rotated;
}
