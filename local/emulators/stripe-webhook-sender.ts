import { createHmac, randomBytes } from 'node:crypto';

/** Where the sandbox delivers its events: the local gateway's `/webhooks/stripe` and the endpoint's signing secret. */
export interface WebhookEndpoint {
  readonly url: string;
  readonly secret: string;
}

/** A Stripe event as delivered: `{ id: 'evt_…', object: 'event', type, created, data: { object } }`. */
export interface SandboxEvent {
  readonly id: string;
  readonly object: 'event';
  readonly type: string;
  readonly created: number;
  readonly api_version: string;
  readonly livemode: false;
  readonly pending_webhooks: number;
  readonly data: { readonly object: unknown };
}

export function sandboxEvent(type: string, object: unknown, created = Math.floor(Date.now() / 1000)): SandboxEvent {
  return {
    id: `evt_${randomBytes(12).toString('hex')}`,
    object: 'event',
    type,
    created,
    api_version: '2025-01-27.acacia',
    livemode: false,
    pending_webhooks: 1,
    data: { object },
  };
}

/**
 * Stripe's signature scheme: `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
 * endpoint's signing secret. Written with node:crypto as Stripe documents it (not with the SDK's test helper), so the
 * backend's verification through the SDK is checked against an independent implementation.
 */
export function stripeSignature(body: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

/** What became of one delivery: every attempt's status (0 when the endpoint did not answer). */
export interface Delivery {
  readonly event: SandboxEvent;
  readonly attempts: number[];
  readonly delivered: boolean;
}

/**
 * Delivers events at least once, as Stripe does: a non-2xx answer (or none) is retried with backoff, a few times
 * here (Stripe keeps trying for three days). Each attempt is signed afresh, so its timestamp is current.
 */
export class WebhookSender {
  private endpoint: WebhookEndpoint | undefined;
  private readonly pending = new Set<Promise<Delivery>>();
  private readonly log: Delivery[] = [];

  constructor(
    private readonly retry: { readonly attempts: number; readonly delayMs: number } = { attempts: 5, delayMs: 200 },
  ) {}

  setEndpoint(endpoint: WebhookEndpoint | undefined): void {
    this.endpoint = endpoint;
  }

  /** Sends the event in the background; `settled()` waits for every delivery in flight. */
  send(event: SandboxEvent): Promise<Delivery> | undefined {
    const endpoint = this.endpoint;
    if (!endpoint) return undefined;
    const delivery = this.deliver(endpoint, event).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
    return delivery;
  }

  /** Until none is left: handling one event can cause another (a webhook's reversal sends payment_intent.canceled). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  deliveries(): Delivery[] {
    return [...this.log];
  }

  private async deliver(endpoint: WebhookEndpoint, event: SandboxEvent): Promise<Delivery> {
    const body = JSON.stringify(event, null, 2);
    const attempts: number[] = [];
    for (let attempt = 0; attempt < this.retry.attempts; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, this.retry.delayMs * 2 ** (attempt - 1)));
      const status = await fetch(endpoint.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': stripeSignature(body, endpoint.secret),
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        body,
        signal: AbortSignal.timeout(10_000),
      }).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      );
      attempts.push(status);
      if (status >= 200 && status < 300) break;
    }
    const delivery = { event, attempts, delivered: attempts.some((status) => status >= 200 && status < 300) };
    this.log.push(delivery);
    return delivery;
  }
}
