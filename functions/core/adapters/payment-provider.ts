import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { PaymentProviderError } from '../domain/errors';
import { faultInjectionFromEnv } from '../observability/fault-injection';
import { settings, type Settings } from '../config/settings';
import { defaultPaymentResilience } from './payment-resilience';
import { StripePaymentProvider, type SecretKeySource } from './stripe-payment-provider';
export {
  defaultPaymentResilience,
  powertoolsPaymentTelemetry,
  type PaymentProviderTelemetry,
  type PaymentResilience,
} from './payment-resilience';
export { StripePaymentProvider, type SecretKeySource } from './stripe-payment-provider';

/**
 * The Stripe secret key: from Secrets Manager in AWS (cached for five minutes; `reload` fetches it again, for when
 * Stripe refuses the cached one after a rotation), from the environment offline.
 */
export function paymentApiKeySource(
  {
    apiKeySecretArn: secretArn,
    apiKey: key,
  }: Pick<Settings<'payment'>, 'apiKeySecretArn' | 'apiKey'> = settings.payment(),
): SecretKeySource {
  if (secretArn) {
    const read = async (forceFetch: boolean) => {
      const secret = await getSecret<string>(secretArn, { maxAge: 300, forceFetch });
      if (!secret) throw new PaymentProviderError('payment secret key secret is empty');
      return secret;
    };
    return { current: () => read(false), reload: () => read(true) };
  }
  // settings.payment() has already failed, naming both variables, if neither is set.
  if (!key) throw new Error('the payment secret key is not configured');
  return { current: async () => key, reload: async () => key };
}

/** The provider for this function's environment, built once per cold start (so is its circuit breaker). */
export function paymentProvider(): StripePaymentProvider {
  const faults = faultInjectionFromEnv();
  const payment = settings.payment();
  return new StripePaymentProvider({
    apiUrl: payment.apiUrl,
    secretKey: paymentApiKeySource(payment),
    timeoutMs: payment.timeoutMs,
    resilience: {
      breakerThreshold: payment.breakerThreshold ?? defaultPaymentResilience.breakerThreshold,
      breakerHalfOpenAfterMs: payment.breakerHalfOpenMs ?? defaultPaymentResilience.breakerHalfOpenAfterMs,
    },
    ...(faults ? { faults } : {}),
  });
}
