import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type Stripe from 'stripe';
import { ValidationError } from '../domain/errors';
import { fromStripeEvent, type ProviderEvent } from '../domain/payment-webhook';
import { settings, type Settings } from '../config/settings';
import type { SecretKeySource } from './stripe-payment-provider';
import { loadStripeSdk } from './stripe-sdk';

/**
 * The endpoint's signing secret: from Secrets Manager in AWS (cached five minutes; `reload` reads it again, for a
 * secret rotated since it was cached), from the environment offline.
 */
export function webhookSecretSource(
  { signingSecretArn, signingSecret }: Settings<'paymentWebhooks'> = settings.paymentWebhooks(),
): SecretKeySource {
  if (signingSecretArn) {
    const read = async (forceFetch: boolean) => {
      const secret = await getSecret<string>(signingSecretArn, { maxAge: 300, forceFetch });
      if (!secret) throw new Error('the webhook signing secret is empty');
      return secret;
    };
    return { current: () => read(false), reload: () => read(true) };
  }
  if (!signingSecret)
    throw new Error('PAYMENT_WEBHOOK_SECRET_ARN (AWS) or PAYMENT_WEBHOOK_SECRET (offline) must be set');
  return { current: async () => signingSecret, reload: async () => signingSecret };
}

// Only the SDK's webhook helpers are used: they need no key and make no request. Built at the first event (the SDK
// loads lazily, ./stripe-sdk.ts).
let stripe: Stripe | undefined;

/**
 * Checks `Stripe-Signature` over the exact bytes received with the official SDK (HMAC-SHA256, constant-time compare,
 * timestamp within `toleranceSeconds`), and turns the event into the backend's terms. A signature that fails with the
 * cached secret is checked once more against a freshly read one (the secret was rotated). Anything else is a 400
 * that says nothing of the secret.
 */
export async function verifyStripeEvent(
  rawBody: string,
  signature: string | undefined,
  secret: SecretKeySource,
  toleranceSeconds: number,
): Promise<ProviderEvent> {
  if (!signature) throw new ValidationError('the Stripe-Signature header is missing');
  const StripeSdk = await loadStripeSdk();
  const sdk = (stripe ??= new StripeSdk('sk_unset', { telemetry: false }));
  const construct = (key: string) => sdk.webhooks.constructEvent(rawBody, signature, key, toleranceSeconds);
  let event: Stripe.Event;
  try {
    event = construct(await secret.current());
  } catch (first) {
    if (!(first instanceof StripeSdk.errors.StripeSignatureVerificationError)) throw invalid();
    try {
      event = construct(await secret.reload());
    } catch {
      throw invalid();
    }
  }
  return fromStripeEvent(event);
}

function invalid(): ValidationError {
  return new ValidationError('the Stripe-Signature header does not match the body, or its timestamp is too old');
}
