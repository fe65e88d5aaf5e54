import type Stripe from 'stripe';

let sdk: typeof Stripe | undefined;

/**
 * The Stripe SDK, loaded by the first call that needs it rather than at every cold start: its module builds a class
 * for each of its ~150 API resources on import (252 KB minified), and a function reaches Stripe only on some of its
 * paths (a request rejected by validation, an idempotent replay or a cached answer never does). In a bundle the
 * dynamic import stays in the same file; esbuild defers the module's top level until this runs.
 */
export async function loadStripeSdk(): Promise<typeof Stripe> {
  sdk ??= (await import('stripe')).default;
  return sdk;
}

/** Stripe's error classes once the SDK is loaded; before that no error can be one of them. */
export function loadedStripeErrors(): (typeof Stripe)['errors'] | undefined {
  return sdk?.errors;
}
