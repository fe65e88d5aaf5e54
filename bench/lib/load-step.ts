import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { pickKind, requestKinds, type RequestKind, type RequestMix, type Step } from './load-plan';
import type { Target } from './load-target';
import { orderBody } from './order-body';

/** One step of a load test run: autocannon at the step's connections for its duration, with the request mix. */

export interface StepSettings {
  readonly paymentToken: string;
  readonly mix: RequestMix;
  readonly timeoutSeconds: number;
}

interface RequestContext {
  kind?: RequestKind;
  sentAt?: number;
  customer?: number;
}

export interface StepResult {
  readonly step: Step;
  readonly result: autocannon.Result;
  readonly latencyByKind: ReadonlyMap<RequestKind, number[]>;
  /** Ctrl-C stopped the step: the run skips the rest, and the offline system is still stopped cleanly. */
  readonly interrupted: boolean;
}

export async function runStep(
  target: Target,
  settings: StepSettings,
  step: Step,
  placed: { orderId: string; customer: number }[],
  progressLine: (text: string) => void,
): Promise<StepResult> {
  const basePath = new URL(target.url).pathname.replace(/\/+$/, '');
  const latencyByKind = new Map<RequestKind, number[]>(requestKinds.map((kind) => [kind, []]));
  const pick = (count: number) => Math.floor(Math.random() * count);
  let finish!: (result: autocannon.Result) => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: target.url,
      connections: step.connections,
      duration: step.seconds,
      timeout: settings.timeoutSeconds,
      requests: [
        {
          setupRequest: (request, context) => {
            const state = context as RequestContext;
            let kind = pickKind(settings.mix, Math.random());
            if (kind === 'get-order' && placed.length === 0) {
              kind = settings.mix['place-order'] > 0 ? 'place-order' : 'list-products';
            }
            state.kind = kind;
            state.sentAt = performance.now();
            if (kind === 'place-order') {
              const customer = pick(target.tokens.length);
              state.customer = customer;
              return {
                ...request,
                method: 'POST',
                path: `${basePath}/orders`,
                headers: {
                  authorization: `Bearer ${target.tokens[customer]}`,
                  'x-api-key': target.apiKey,
                  'content-type': 'application/json',
                  'idempotency-key': randomUUID(),
                },
                body: orderBody([{ productId: target.productId, quantity: 1 }], settings.paymentToken),
              };
            }
            if (kind === 'get-order') {
              const order = placed[pick(placed.length)]!;
              return {
                ...request,
                method: 'GET',
                path: `${basePath}/orders/${order.orderId}`,
                headers: { authorization: `Bearer ${target.tokens[order.customer]}`, 'x-api-key': target.apiKey },
                body: undefined,
              };
            }
            return {
              ...request,
              method: 'GET',
              path: `${basePath}/products`,
              headers: { 'x-api-key': target.apiKey },
              body: undefined,
            };
          },
          onResponse: (status, body, context) => {
            const state = context as RequestContext;
            if (!state.kind || state.sentAt === undefined) return;
            latencyByKind.get(state.kind)!.push(performance.now() - state.sentAt);
            if (state.kind === 'place-order' && status === 202) {
              try {
                const orderId = (JSON.parse(body) as { orderId?: string }).orderId;
                if (orderId) {
                  placed.push({ orderId, customer: state.customer ?? 0 });
                  // A bounded pool: get-order reads recent orders, memory stays flat on long runs.
                  if (placed.length > 5000) placed.splice(0, placed.length - 5000);
                }
              } catch {
                // A 202 without a JSON body would be a bug of the API, counted under its status anyway.
              }
            }
          },
        },
      ],
    },
    (error: unknown, result: autocannon.Result) => (error ? fail(error) : finish(result)),
  );
  const startedAt = Date.now();
  let lastSecond = 0;
  const statuses = { ok: 0, client: 0, server: 0 };
  let errors = 0;
  instance.on('response', (_client, statusCode) => {
    if (statusCode < 400) statuses.ok++;
    else if (statusCode < 500) statuses.client++;
    else statuses.server++;
  });
  instance.on('reqError', () => errors++);
  // autocannon passes the last second's counts to 'tick' listeners; its type declarations leave the argument out.
  (instance as NodeJS.EventEmitter).on('tick', (counter: { counter: number }) => {
    lastSecond = counter.counter;
    const elapsed = Math.min(step.seconds, (Date.now() - startedAt) / 1000);
    progressLine(
      `${step.label.padEnd(10)} ${elapsed.toFixed(0).padStart(3)}/${step.seconds.toFixed(0)} s  ` +
        `${step.connections} connections  ${lastSecond} req/s  ` +
        `2xx/3xx ${statuses.ok}  4xx ${statuses.client}  5xx ${statuses.server}  errors ${errors}`,
    );
  });
  let interrupted = false;
  const stopOnSignal = () => {
    interrupted = true;
    instance.stop();
  };
  process.once('SIGINT', stopOnSignal);
  const result = await finished;
  process.removeListener('SIGINT', stopOnSignal);
  return { step, result, latencyByKind, interrupted };
}
