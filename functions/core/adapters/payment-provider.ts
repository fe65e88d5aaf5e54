import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { PaymentCaptureError, PaymentDeclinedError, PaymentProviderError, PaymentTimeoutError } from '../domain/errors';
import type { AuthorizationRequest, PaymentProvider } from '../domain/ports';
import { envNames, optionalIntEnv, requireEnv } from '../config/runtime-config';

interface ProviderAuthorization {
  id: string;
  status: 'authorized' | 'voided' | 'captured' | 'refunded';
  reference: string;
}

export interface HttpPaymentProviderOptions {
  readonly baseUrl: string;
  readonly apiKey: () => Promise<string>;
  readonly timeoutMs: number;
}

/** The provider refused an operation on a payment in its current state (say, capturing a voided authorization). */
class PaymentRefusedError extends PaymentProviderError {
  constructor(readonly providerCode: string) {
    super(`payment provider refused: ${providerCode}`);
  }
}

/**
 * Adapter for a card payment provider with a Stripe-like HTTP API (idempotency keys, authorize then void/capture).
 * Offline it talks to the local sandbox provider; in AWS to the endpoint and key the environment config names.
 * Each call has a deadline; declines are business outcomes, everything else a transient provider error.
 */
export class HttpPaymentProvider implements PaymentProvider {
  constructor(private readonly options: HttpPaymentProviderOptions) {}

  async authorize(request: AuthorizationRequest): Promise<{ authorizationId: string }> {
    const body = {
      amount: request.amount.amount,
      currency: request.amount.currency,
      paymentToken: request.paymentToken,
      reference: request.reference,
    };
    const authorization = await this.call<ProviderAuthorization>(
      'POST',
      '/v1/authorizations',
      request.idempotencyKey,
      body,
    );
    return { authorizationId: authorization.id };
  }

  async capture(authorizationId: string, idempotencyKey: string): Promise<void> {
    try {
      await this.call('POST', `/v1/authorizations/${encodeURIComponent(authorizationId)}/capture`, idempotencyKey);
    } catch (error) {
      if (error instanceof PaymentRefusedError) {
        throw new PaymentCaptureError(`capture refused: ${error.providerCode}`, { cause: error });
      }
      throw error;
    }
  }

  async reverse(reference: string, idempotencyKey: string): Promise<{ voided: number; refunded: number }> {
    const { data } = await this.call<{ data: ProviderAuthorization[] }>(
      'GET',
      `/v1/authorizations?reference=${encodeURIComponent(reference)}`,
    );
    let voided = 0;
    let refunded = 0;
    for (const authorization of data) {
      const id = encodeURIComponent(authorization.id);
      if (authorization.status === 'authorized') {
        await this.call('POST', `/v1/authorizations/${id}/void`, `${idempotencyKey}:void:${authorization.id}`);
        voided++;
      } else if (authorization.status === 'captured') {
        await this.call('POST', `/v1/authorizations/${id}/refund`, `${idempotencyKey}:refund:${authorization.id}`);
        refunded++;
      }
    }
    return { voided, refunded };
  }

  private async call<T>(method: string, path: string, idempotencyKey?: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.options.baseUrl), {
        method,
        headers: {
          authorization: `Bearer ${await this.options.apiKey()}`,
          'content-type': 'application/json',
          ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new PaymentTimeoutError(`payment provider gave no answer within ${this.options.timeoutMs} ms`, {
          cause: error,
        });
      }
      throw new PaymentProviderError('payment provider unreachable', { cause: error });
    }
    const payload = (await response.json().catch(() => undefined)) as { error?: { code?: string } } | undefined;
    if (response.status === 402) {
      throw new PaymentDeclinedError(`payment declined: ${payload?.error?.code ?? 'declined'}`);
    }
    if (response.status === 409) throw new PaymentRefusedError(payload?.error?.code ?? 'conflict');
    if (!response.ok || payload === undefined) {
      throw new PaymentProviderError(
        `payment provider answered ${response.status}: ${payload?.error?.code ?? 'no body'}`,
      );
    }
    return payload as T;
  }
}

/** The provider's API key: from Secrets Manager in AWS (cached for five minutes), from the environment offline. */
export function paymentApiKeySource(env: NodeJS.ProcessEnv = process.env): () => Promise<string> {
  const secretArn = env.PAYMENT_API_KEY_SECRET_ARN;
  if (secretArn) {
    return async () => {
      const secret = await getSecret<string>(secretArn, { maxAge: 300 });
      if (!secret) throw new PaymentProviderError('payment API key secret is empty');
      return secret;
    };
  }
  const key = env.PAYMENT_API_KEY;
  if (!key) throw new Error('set PAYMENT_API_KEY_SECRET_ARN (AWS) or PAYMENT_API_KEY (offline)');
  return async () => key;
}

/** The provider for this function's environment, built once per cold start. */
export function paymentProvider(): HttpPaymentProvider {
  return new HttpPaymentProvider({
    baseUrl: requireEnv(envNames.paymentApiUrl),
    apiKey: paymentApiKeySource(),
    timeoutMs: optionalIntEnv(envNames.paymentTimeoutMs, 3000),
  });
}
