import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { close, listen, readBody, sendJson } from './http-util';

/**
 * A sandbox card-payment provider with a Stripe-like API, for offline runs. Test tokens choose the outcome, as
 * well-known providers' test cards do:
 *   tok_visa             approved
 *   tok_chargeDeclined   declined (402 card_declined)
 *   tok_processingError  provider fault (500 processing_error)
 *   tok_timeout          authorizes, then never answers in time (the caller must void by reference)
 * Any other token is declined as invalid. Requests carry an Idempotency-Key; a replay returns the first answer.
 */
export const sandboxTestTokens = {
  tok_visa: 'approved',
  tok_chargeDeclined: 'declined (PAYMENT_DECLINED)',
  tok_processingError: 'provider error (PAYMENT_ERROR after retries)',
  tok_timeout: 'no answer in time (PAYMENT_ERROR after retries; the authorization is voided)',
} as const;

export interface SandboxAuthorization {
  readonly id: string;
  readonly reference: string;
  readonly amount: number;
  readonly currency: string;
  status: 'authorized' | 'voided' | 'captured' | 'refunded';
  readonly createdAt: string;
}

interface StoredResponse {
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
}

export interface PaymentSandbox {
  readonly url: string;
  readonly apiKey: string;
  authorizations(): SandboxAuthorization[];
  stop(): Promise<void>;
}

export async function startPaymentSandbox(options: {
  port: number;
  apiKey: string;
  hangMs?: number;
}): Promise<PaymentSandbox> {
  const authorizations = new Map<string, SandboxAuthorization>();
  const answered = new Map<string, Promise<StoredResponse>>();
  const hangMs = options.hangMs ?? 60_000;

  async function route(
    method: string,
    url: URL,
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: unknown }> {
    if (method === 'GET' && url.pathname === '/v1/authorizations') {
      const reference = url.searchParams.get('reference');
      return { status: 200, body: { data: [...authorizations.values()].filter((a) => a.reference === reference) } };
    }
    if (method === 'POST' && url.pathname === '/v1/authorizations') return authorize(body);
    const match = /^\/v1\/authorizations\/([^/]+)(?:\/(void|capture|refund))?$/.exec(url.pathname);
    const authorization = match ? authorizations.get(decodeURIComponent(match[1]!)) : undefined;
    if (!match || !authorization) return { status: 404, body: { error: { code: 'resource_missing' } } };
    if (method === 'GET' && !match[2]) return { status: 200, body: authorization };
    // Each operation is allowed from one state only, as with real providers; repeats are answered by idempotency.
    const transitions = {
      void: ['authorized', 'voided'],
      capture: ['authorized', 'captured'],
      refund: ['captured', 'refunded'],
    };
    if (method === 'POST' && match[2]) {
      const [from, to] = transitions[match[2] as keyof typeof transitions] as [
        'authorized',
        SandboxAuthorization['status'],
      ];
      if (authorization.status !== from && authorization.status !== to) {
        return { status: 409, body: { error: { code: `authorization_${authorization.status}` } } };
      }
      authorization.status = to;
      return { status: 200, body: authorization };
    }
    return { status: 405, body: { error: { code: 'method_not_allowed' } } };
  }

  async function authorize(body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const { amount, currency, paymentToken, reference } = body;
    if (!Number.isInteger(amount) || typeof currency !== 'string' || typeof reference !== 'string') {
      return { status: 400, body: { error: { code: 'parameter_invalid' } } };
    }
    const create = () => {
      const authorization: SandboxAuthorization = {
        id: `auth_${randomUUID().replaceAll('-', '')}`,
        reference,
        amount: amount as number,
        currency,
        status: 'authorized',
        createdAt: new Date().toISOString(),
      };
      authorizations.set(authorization.id, authorization);
      return authorization;
    };
    switch (paymentToken) {
      case 'tok_visa':
        return { status: 201, body: create() };
      case 'tok_chargeDeclined':
        return { status: 402, body: { error: { code: 'card_declined', message: 'Your card was declined.' } } };
      case 'tok_processingError':
        return { status: 500, body: { error: { code: 'processing_error' } } };
      case 'tok_timeout': {
        const authorization = create();
        await new Promise((resolve) => setTimeout(resolve, hangMs).unref());
        return { status: 201, body: authorization };
      }
      default:
        return { status: 402, body: { error: { code: 'invalid_token', message: 'Unknown payment token.' } } };
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(response, 401, { error: { code: 'invalid_api_key' } });
    }
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const text = await readBody(request);
    let body: Record<string, unknown>;
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      return sendJson(response, 400, { error: { code: 'invalid_json' } });
    }
    const key = request.headers['idempotency-key'];
    if (method !== 'POST' || typeof key !== 'string') {
      const result = await route(method, url, body);
      return sendJson(response, result.status, result.body);
    }
    const fingerprint = `${url.pathname}:${text}`;
    let stored = answered.get(key);
    const replayed = stored !== undefined;
    if (!stored) {
      stored = route(method, url, body).then((result) => ({ fingerprint, ...result }));
      answered.set(key, stored);
    }
    const result = await stored;
    if (result.fingerprint !== fingerprint) {
      return sendJson(response, 422, { error: { code: 'idempotency_key_reused' } });
    }
    // Provider faults are not remembered: a retry with the same key gets a fresh attempt, as with real providers.
    if (result.status >= 500) answered.delete(key);
    return sendJson(response, result.status, result.body, { 'idempotent-replayed': String(replayed) });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        sendJson(response, 500, { error: { code: 'sandbox_failure', message: String(error) } });
    });
  });
  const port = await listen(server, options.port);
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: options.apiKey,
    authorizations: () => [...authorizations.values()].map((authorization) => ({ ...authorization })),
    stop: () => close(server),
  };
}
