/**
 * Personal data (shipping addresses, contact emails, phone numbers) never reaches a log line. One rule, applied where
 * lines are written rather than at each call: the Powertools logger runs every value of every line through
 * `personalDataReplacer` (./powertools.ts), and the local runtime's console output goes through `redactedForConsole`.
 * A line that logs an order, a request body, an event or an error quoting one is covered without the caller thinking
 * of it; a new field holding personal data needs its key added here.
 */

export const redactedMarker = '[redacted]';

/** The keys whose values are personal data, wherever they sit in a logged object. */
export const personalDataKeys: ReadonlySet<string> = new Set([
  'shippingAddress',
  'contactEmail',
  'phone',
  'email',
  // Not personal data but a credential of the customer's payment (3-D Secure): the same rule keeps it out of logs.
  'clientSecret',
  'client_secret',
  // Webhook signing secrets (functions/core/domain/webhooks.ts): shown once to their owner, never logged.
  'secret',
  'previousSecret',
]);

// An email address by its shape, in free text (an error message, a message someone wrote).
const emailShape = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// A Stripe PaymentIntent client secret by its shape (`pi_…_secret_…`), in free text.
const clientSecretShape = /\bpi_[A-Za-z0-9]+_secret_[A-Za-z0-9]+/g;
// A Standard Webhooks (or Stripe) signing secret by its shape, in free text.
const signingSecretShape = /\bwhsec_[A-Za-z0-9+/=_]+/g;
// A personal field inside JSON text that ended up in a string (an error quoting a body, a serialised response):
// the key, then an object without nested objects (an address) or a string.
const embeddedField = new RegExp(
  `"(${[...personalDataKeys].join('|')})"\\s*:\\s*(?:\\{[^{}]*\\}|"(?:[^"\\\\]|\\\\.)*")`,
  'g',
);

/** Free text with embedded personal fields and email addresses replaced. */
export function redactText(text: string): string {
  return text
    .replace(embeddedField, `"$1":"${redactedMarker}"`)
    .replace(emailShape, redactedMarker)
    .replace(clientSecretShape, redactedMarker)
    .replace(signingSecretShape, redactedMarker);
}

/** A `JSON.stringify` replacer: personal keys lose their values, strings lose embedded personal data. */
export function personalDataReplacer(key: string, value: unknown): unknown {
  if (personalDataKeys.has(key) && value !== undefined && value !== null) return redactedMarker;
  if (typeof value === 'string') return redactText(value);
  return value;
}

/**
 * Anything as console text with personal data removed: an error as its stack (and its causes'), anything else as
 * JSON. For the local runtime's own console lines, which do not go through the Powertools logger.
 */
export function redactedForConsole(value: unknown): string {
  if (value instanceof Error) {
    const cause = value.cause === undefined ? '' : `\ncaused by: ${redactedForConsole(value.cause)}`;
    return redactText(value.stack ?? `${value.name}: ${value.message}`) + cause;
  }
  if (typeof value === 'string') return redactText(value);
  try {
    return JSON.stringify(value, personalDataReplacer) ?? String(value);
  } catch {
    // A cycle, a BigInt: say what it was, not what it held.
    return `[unprintable ${typeof value}]`;
  }
}
