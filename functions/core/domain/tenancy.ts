/**
 * Whose data a caller owns. A shopper owns their orders under their Cognito `sub`; a partner owns every order any of
 * its app clients placed, under its partner id (never a client id: secrets and clients change, the partner stays).
 * Every key the data layer builds for a caller, every idempotency key and every limit derives from this id.
 */
export type CallerKind = 'customer' | 'partner';

const partnerPrefix = 'partner:';

/** The owner id of a partner's orders. Partner ids are kebab-case, so they can never look like a Cognito `sub`. */
export function partnerCustomerId(partnerId: string): string {
  return `${partnerPrefix}${partnerId}`;
}

/** The kind of caller that owns an order, read back from its owner id. */
export function callerKindOf(customerId: string): CallerKind {
  return customerId.startsWith(partnerPrefix) ? 'partner' : 'customer';
}

/** A partner id: what `npm run partner -- create <name>` accepts, and what owner ids and key names are built from. */
export const partnerIdPattern = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
