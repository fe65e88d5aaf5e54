import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { close, listen, readBody, sendJson } from './http-server';
import { sandboxEvent, WebhookSender, type Delivery, type WebhookEndpoint } from './stripe-webhook-sender';

/**
 * An offline stand-in for Stripe: the subset of its API the payment adapter uses, spoken the way Stripe speaks it
 * (form-encoded bodies in bracket notation, `Authorization: Bearer sk_test_…`, Stripe's objects, list and search
 * results and error shapes, `Idempotency-Key` semantics with `Idempotent-Replayed: true` on replays), so the adapter
 * reaches it through the official SDK (its host, port and protocol options) exactly as it reaches api.stripe.com.
 *
 * Endpoints: POST/GET /v1/payment_intents, GET /v1/payment_intents/search (only `metadata['key']:'value'` clauses
 * joined by AND), GET /v1/payment_intents/:id, POST /v1/payment_intents/:id/capture and /cancel, POST and GET
 * /v1/refunds. Sandbox only: POST /v1/test_helpers/payment_intents/:id/authenticate (`client_secret`, `outcome`
 * `complete` or `fail`) finishes a 3-D Secure challenge the way the customer does on Stripe's test-mode challenge
 * page, authenticated by the intent's client secret as Stripe.js is (no secret key): the intent becomes
 * requires_capture (payment_intent.amount_capturable_updated) or requires_payment_method
 * (payment_intent.payment_failed). Stripe's documented test PaymentMethods choose the outcome (`sandboxTestPaymentMethods`), plus one of
 * the sandbox's own for the answer that never comes in time, which Stripe cannot simulate.
 *
 * Where it knowingly differs from Stripe: a request arriving while another with the same Idempotency-Key is still
 * running waits for that one's answer (Stripe answers 409 at once); 5xx answers are not remembered for the key, so a
 * retry after an outage gets a fresh attempt; search sees a PaymentIntent at once (Stripe's search index lags up to
 * a minute, which is why the adapter's reversal is backed by the settle-period re-run).
 *
 * The request log keeps each request's `x-correlation-id` (`requests()`), so one order's flow can be followed into
 * the provider offline too. With a `dataFile`, every change (an object stored, an idempotent answer given) is
 * appended to it as a JSON line before the answer goes out, and replayed at start: like Stripe, the sandbox
 * remembers its payments and idempotency keys across a crash of the whole local system (kill -9 included).
 */
export const sandboxTestPaymentMethods = {
  pm_card_visa: 'approved: the PaymentIntent waits for capture',
  pm_card_chargeDeclined: 'declined, card_declined (PAYMENT_DECLINED)',
  pm_card_authenticationRequired:
    'requires 3-D Secure: requires_action (the order waits in ACTION_REQUIRED until the challenge below is answered)',
  pm_card_chargeDeclinedProcessingError: 'processing_error (PAYMENT_ERROR after retries)',
  pm_card_sandbox_timeout: 'sandbox only: authorizes, then answers too late (PAYMENT_ERROR; the intent is cancelled)',
} as const;

export type PaymentIntentStatus =
  'requires_payment_method' | 'requires_action' | 'requires_capture' | 'succeeded' | 'canceled';

export interface SandboxPaymentIntent {
  readonly id: string;
  readonly object: 'payment_intent';
  readonly amount: number;
  amount_capturable: number;
  amount_received: number;
  readonly currency: string;
  status: PaymentIntentStatus;
  readonly capture_method: 'manual';
  readonly confirmation_method: 'automatic';
  readonly payment_method: string;
  readonly payment_method_types: readonly string[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly latest_charge: string | null;
  readonly client_secret: string;
  readonly next_action: { readonly type: 'use_stripe_sdk'; readonly use_stripe_sdk: object } | null;
  readonly last_payment_error: object | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  readonly created: number;
  readonly livemode: false;
}

export interface SandboxCharge {
  readonly id: string;
  readonly object: 'charge';
  readonly amount: number;
  amount_captured: number;
  amount_refunded: number;
  captured: boolean;
  refunded: boolean;
  readonly currency: string;
  readonly payment_intent: string;
  readonly payment_method: string;
  readonly status: 'succeeded';
  readonly created: number;
  readonly livemode: false;
}

export interface SandboxRefund {
  readonly id: string;
  readonly object: 'refund';
  readonly amount: number;
  readonly currency: string;
  readonly charge: string;
  readonly payment_intent: string;
  readonly reason: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly status: 'succeeded';
  readonly created: number;
}

type StoredObject = SandboxPaymentIntent | SandboxCharge | SandboxRefund;

interface StoredResponse {
  readonly fingerprint: string;
  readonly status: number;
  readonly body: unknown;
}

interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  /** Keep the caller waiting this long before answering (the answer itself is decided, and journaled, already). */
  readonly hangMs?: number;
}

/** One line of the data file: an object as it now is, or an answer remembered for an idempotency key. */
type JournalEntry =
  | { readonly op: 'put'; readonly object: StoredObject }
  | ({ readonly op: 'answer'; readonly key: string; readonly correlationId?: string } & StoredResponse);

/** One request the sandbox received (with a valid API key), as Stripe's request log shows it. */
export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey?: string;
  readonly correlationId?: string;
  readonly at: string;
}

/** The request log keeps the latest requests only: a long offline session must not grow it without bound. */
const requestLogSize = 10_000;

/**
 * A provider-wide outage, switched on and off by tests: `error` answers every request with a 500 api_error without
 * doing anything; `timeout` holds every request without an answer until the outage ends (or hangMs passes), then
 * answers 500, also without doing anything.
 */
export type SandboxOutage = 'error' | 'timeout';

export interface StripeSandbox {
  /** The base URL (`http://127.0.0.1:<port>`): the adapter takes host, port and protocol from it. */
  readonly url: string;
  readonly apiKey: string;
  /** Every PaymentIntent, oldest first (copies). */
  paymentIntents(): SandboxPaymentIntent[];
  charges(): SandboxCharge[];
  refunds(): SandboxRefund[];
  /** The latest requests received, oldest first. */
  requests(): SandboxRequest[];
  /** Starts (`'error'`, `'timeout'`) or ends (`undefined`) a provider outage. */
  setOutage(mode: SandboxOutage | undefined): void;
  /**
   * Where signed events go (Stripe's webhook endpoint), or none. Events: payment_intent.amount_capturable_updated,
   * .payment_failed, .succeeded, .canceled; charge.refunded; charge.dispute.created (see `dispute`).
   */
  setWebhookEndpoint(endpoint: WebhookEndpoint | undefined): void;
  /**
   * Finishes the 3-D Secure challenge of an intent in requires_action, as the customer does on Stripe's test-mode
   * challenge page (what POST /v1/test_helpers/payment_intents/:id/authenticate does); sends the event Stripe sends.
   */
  authenticate(paymentIntentId: string, outcome: AuthenticationOutcome): SandboxPaymentIntent;
  /** Opens a dispute on the intent's charge, as Stripe's test dispute cards do, and sends charge.dispute.created. */
  dispute(paymentIntentId: string, reason?: string): void;
  /** Waits for every webhook delivery in flight (with its retries); then lists them all. */
  webhookDeliveries(): Promise<Delivery[]>;
  stop(): Promise<void>;
}

/** The customer's answer to a 3-D Secure challenge: passed, or failed (or abandoned). */
export type AuthenticationOutcome = 'complete' | 'fail';

export interface StripeSandboxOptions {
  readonly port: number;
  /** The secret key callers must present (`sk_test_…`). */
  readonly apiKey: string;
  /** How long pm_card_sandbox_timeout (and a `timeout` outage) keeps the caller waiting. */
  readonly hangMs?: number;
  /** Append-only JSON-lines file that keeps the sandbox's state across restarts; in memory only when absent. */
  readonly dataFile?: string;
}

/** A Stripe-style error answer. */
function stripeError(
  status: number,
  error: { type: string; code?: string; message: string; param?: string; [key: string]: unknown },
): RouteResult {
  return { status, body: { error } };
}

const notFound = (kind: string, id: string) =>
  stripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    message: `No such ${kind}: '${id}'`,
    param: 'id',
  });

/** Parses Stripe's form encoding (`metadata[orderId]=…`, `created[gte]=…`, `expand[0]=…`) into nested objects. */
export function parseStripeForm(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const path = key.replace(/\]/g, '').split('[');
    let node = root;
    for (const [index, segment] of path.entries()) {
      if (index === path.length - 1) {
        node[segment] = value;
      } else {
        const next = node[segment];
        node = (typeof next === 'object' && next !== null ? next : (node[segment] = {})) as Record<string, unknown>;
      }
    }
  }
  return root;
}

/** `expand[0]=a&expand[1]=b` arrives as `{ 0: 'a', 1: 'b' }`. */
function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return value && typeof value === 'object' ? Object.values(value).map(String) : [];
}

function readJournal(dataFile: string): JournalEntry[] {
  if (!existsSync(dataFile)) return [];
  const text = readFileSync(dataFile, 'utf8');
  const entries: JournalEntry[] = [];
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    const line = text.slice(offset, end === -1 ? text.length : end);
    try {
      if (end === -1) throw new Error('unterminated line');
      if (line.trim() !== '') entries.push(JSON.parse(line) as JournalEntry);
    } catch (error) {
      // Only the last line may be cut short (a crash mid-write; it was never acknowledged): drop it.
      if (end !== -1 && end + 1 < text.length) {
        throw new Error(`payment sandbox data file ${dataFile} is corrupt at byte ${offset}`, { cause: error });
      }
      truncateSync(dataFile, Buffer.byteLength(text.slice(0, offset)));
      break;
    }
    offset = end + 1;
  }
  return entries;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const epochSeconds = () => Math.floor(Date.now() / 1000);

/** Each test PaymentMethod's outcome when a PaymentIntent is confirmed with it. */
type ConfirmOutcome = 'approved' | 'declined' | 'authentication' | 'processing_error' | 'timeout';
const outcomes: Readonly<Record<string, ConfirmOutcome>> = {
  pm_card_visa: 'approved',
  pm_card_chargeDeclined: 'declined',
  pm_card_authenticationRequired: 'authentication',
  pm_card_chargeDeclinedProcessingError: 'processing_error',
  pm_card_sandbox_timeout: 'timeout',
};

const cancellable: ReadonlySet<PaymentIntentStatus> = new Set([
  'requires_payment_method',
  'requires_action',
  'requires_capture',
]);

export async function startStripeSandbox(options: StripeSandboxOptions): Promise<StripeSandbox> {
  const intents = new Map<string, SandboxPaymentIntent>();
  const charges = new Map<string, SandboxCharge>();
  const refunds = new Map<string, SandboxRefund>();
  const answered = new Map<string, Promise<StoredResponse>>();
  const requestLog: SandboxRequest[] = [];
  const hangMs = options.hangMs ?? 60_000;
  const stores = { payment_intent: intents, charge: charges, refund: refunds } as const;
  const put = (object: StoredObject) => (stores[object.object] as Map<string, StoredObject>).set(object.id, object);

  let journalFd: number | undefined;
  if (options.dataFile) {
    for (const entry of readJournal(options.dataFile)) {
      if (entry.op === 'put') put(entry.object);
      else answered.set(entry.key, Promise.resolve({ ...entry }));
    }
    mkdirSync(dirname(options.dataFile), { recursive: true });
    journalFd = openSync(options.dataFile, 'a');
  }
  // Synchronous, so an entry is in the file (the OS's, at least) before the answer that depends on it is sent.
  const record = (entry: JournalEntry) => {
    if (journalFd !== undefined) writeSync(journalFd, `${JSON.stringify(entry)}\n`);
  };
  /** Stores an object as it now is, in memory and in the journal. */
  const save = <T extends StoredObject>(object: T): T => {
    put(object);
    record({ op: 'put', object });
    return object;
  };

  const webhooks = new WebhookSender();
  const emit = (type: string, object: unknown) => void webhooks.send(sandboxEvent(type, { ...(object as object) }));

  let outage: SandboxOutage | undefined;
  const outageEnded = new Set<() => void>();
  const setOutage = (mode: SandboxOutage | undefined) => {
    outage = mode;
    for (const release of outageEnded) release();
    outageEnded.clear();
  };
  const hang = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

  const withCharge = (intent: SandboxPaymentIntent, expand: readonly string[], prefix: string) =>
    expand.includes(`${prefix}latest_charge`) && intent.latest_charge
      ? { ...intent, latest_charge: charges.get(intent.latest_charge) ?? intent.latest_charge }
      : { ...intent };

  /** Newest first, as Stripe lists; ties (same second) by creation order. */
  const newestFirst = () => [...intents.values()].reverse().sort((a, b) => b.created - a.created);

  function createIntent(body: Record<string, unknown>): RouteResult {
    const amount = Number(body.amount);
    const currency = typeof body.currency === 'string' ? body.currency : '';
    const paymentMethod = typeof body.payment_method === 'string' ? body.payment_method : '';
    if (!Number.isSafeInteger(amount) || amount < 1) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'parameter_invalid_integer',
        param: 'amount',
        message: 'Invalid integer',
      });
    }
    if (!/^[a-z]{3}$/.test(currency)) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'parameter_invalid_string',
        param: 'currency',
        message: 'Invalid currency',
      });
    }
    if (body.capture_method !== 'manual' || body.confirm !== 'true') {
      // The adapter always authorizes only; anything else would be a change in the adapter the sandbox must not hide.
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'parameter_unknown',
        message: 'The sandbox supports confirm=true with capture_method=manual only.',
      });
    }
    const outcome = outcomes[paymentMethod];
    if (!outcome) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'payment_method',
        message: `No such PaymentMethod: '${paymentMethod}'`,
      });
    }
    const id = newId('pi');
    const held = outcome === 'approved' || outcome === 'timeout';
    const chargeId = held ? newId('ch') : null;
    const created = epochSeconds();
    const metadata = (typeof body.metadata === 'object' && body.metadata ? body.metadata : {}) as Record<
      string,
      string
    >;
    const failure =
      outcome === 'declined'
        ? { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' }
        : outcome === 'processing_error'
          ? { code: 'processing_error', message: 'An error occurred while processing your card. Try again.' }
          : undefined;
    const intent = save<SandboxPaymentIntent>({
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: held ? amount : 0,
      amount_received: 0,
      currency,
      status: held ? 'requires_capture' : outcome === 'authentication' ? 'requires_action' : 'requires_payment_method',
      capture_method: 'manual',
      confirmation_method: 'automatic',
      payment_method: paymentMethod,
      payment_method_types: ['card'],
      metadata: { ...metadata },
      latest_charge: chargeId,
      client_secret: `${id}_secret_${randomBytes(12).toString('hex')}`,
      next_action: outcome === 'authentication' ? { type: 'use_stripe_sdk', use_stripe_sdk: {} } : null,
      last_payment_error: failure ? { type: 'card_error', ...failure } : null,
      canceled_at: null,
      cancellation_reason: null,
      created,
      livemode: false,
    });
    if (chargeId) {
      save<SandboxCharge>({
        id: chargeId,
        object: 'charge',
        amount,
        amount_captured: 0,
        amount_refunded: 0,
        captured: false,
        refunded: false,
        currency,
        payment_intent: id,
        payment_method: paymentMethod,
        status: 'succeeded',
        created,
        livemode: false,
      });
    }
    if (held) emit('payment_intent.amount_capturable_updated', intent);
    if (failure) {
      emit('payment_intent.payment_failed', intent);
      return stripeError(402, { type: 'card_error', ...failure, payment_intent: { ...intent } });
    }
    return { status: 200, body: { ...intent }, ...(outcome === 'timeout' ? { hangMs } : {}) };
  }

  function unexpectedState(intent: SandboxPaymentIntent, action: string): RouteResult {
    return stripeError(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      message: `This PaymentIntent could not be ${action} because it has a status of ${intent.status}.`,
      payment_intent: { ...intent },
    });
  }

  function capture(intent: SandboxPaymentIntent): RouteResult {
    if (intent.status !== 'requires_capture') return unexpectedState(intent, 'captured');
    const charge = charges.get(intent.latest_charge!)!;
    save({ ...charge, captured: true, amount_captured: charge.amount });
    const captured = save({ ...intent, status: 'succeeded', amount_capturable: 0, amount_received: intent.amount });
    emit('payment_intent.succeeded', captured);
    return { status: 200, body: { ...captured } };
  }

  function cancel(intent: SandboxPaymentIntent, body: Record<string, unknown>): RouteResult {
    if (!cancellable.has(intent.status)) return unexpectedState(intent, 'canceled');
    const reason = typeof body.cancellation_reason === 'string' ? body.cancellation_reason : null;
    const canceled = save<SandboxPaymentIntent>({
      ...intent,
      status: 'canceled',
      amount_capturable: 0,
      canceled_at: epochSeconds(),
      cancellation_reason: reason,
    });
    emit('payment_intent.canceled', canceled);
    return { status: 200, body: { ...canceled } };
  }

  /** The customer's 3-D Secure answer: requires_action becomes requires_capture (with a charge) or a failure. */
  function authenticate(intent: SandboxPaymentIntent, outcome: AuthenticationOutcome): RouteResult {
    if (intent.status !== 'requires_action') return unexpectedState(intent, 'authenticated');
    if (outcome === 'fail') {
      const failed = save<SandboxPaymentIntent>({
        ...intent,
        status: 'requires_payment_method',
        next_action: null,
        last_payment_error: {
          type: 'card_error',
          code: 'payment_intent_authentication_failure',
          message: 'The provided PaymentMethod has failed authentication.',
        },
      });
      emit('payment_intent.payment_failed', failed);
      return { status: 200, body: { ...failed } };
    }
    const chargeId = newId('ch');
    save<SandboxCharge>({
      id: chargeId,
      object: 'charge',
      amount: intent.amount,
      amount_captured: 0,
      amount_refunded: 0,
      captured: false,
      refunded: false,
      currency: intent.currency,
      payment_intent: intent.id,
      payment_method: intent.payment_method,
      status: 'succeeded',
      created: epochSeconds(),
      livemode: false,
    });
    const held = save<SandboxPaymentIntent>({
      ...intent,
      status: 'requires_capture',
      amount_capturable: intent.amount,
      latest_charge: chargeId,
      next_action: null,
    });
    emit('payment_intent.amount_capturable_updated', held);
    return { status: 200, body: { ...held } };
  }

  function refund(body: Record<string, unknown>): RouteResult {
    const id = typeof body.payment_intent === 'string' ? body.payment_intent : '';
    const intent = intents.get(id);
    if (!intent) return notFound('payment_intent', id);
    const charge = intent.latest_charge ? charges.get(intent.latest_charge) : undefined;
    if (intent.status !== 'succeeded' || !charge) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'charge_not_captured',
        message: `PaymentIntent ${id} has no captured charge to refund; cancel it instead.`,
      });
    }
    const remaining = charge.amount_captured - charge.amount_refunded;
    if (remaining === 0) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'charge_already_refunded',
        message: `Charge ${charge.id} has already been refunded.`,
      });
    }
    const amount = body.amount === undefined ? remaining : Number(body.amount);
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > remaining) {
      return stripeError(400, {
        type: 'invalid_request_error',
        code: 'amount_too_large',
        param: 'amount',
        message: `Refund amount must be between 1 and ${remaining}.`,
      });
    }
    const refunded = charge.amount_refunded + amount;
    emit(
      'charge.refunded',
      save({ ...charge, amount_refunded: refunded, refunded: refunded === charge.amount_captured }),
    );
    const made = save<SandboxRefund>({
      id: newId('re'),
      object: 'refund',
      amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: id,
      reason: typeof body.reason === 'string' ? body.reason : null,
      metadata: (typeof body.metadata === 'object' && body.metadata ? body.metadata : {}) as Record<string, string>,
      status: 'succeeded',
      created: epochSeconds(),
    });
    return { status: 200, body: { ...made } };
  }

  function list(url: URL, query: Record<string, unknown>): RouteResult {
    const created = (query.created ?? {}) as Record<string, string>;
    const gte = created.gte === undefined ? -Infinity : Number(created.gte);
    const limit = Math.min(Math.max(Number(query.limit ?? 10) || 10, 1), 100);
    const all = newestFirst().filter((intent) => intent.created >= gte);
    const after = typeof query.starting_after === 'string' ? query.starting_after : undefined;
    const start = after ? all.findIndex((intent) => intent.id === after) + 1 : 0;
    const expand = listOf(query.expand);
    return {
      status: 200,
      body: {
        object: 'list',
        url: url.pathname,
        has_more: start + limit < all.length,
        data: all.slice(start, start + limit).map((intent) => withCharge(intent, expand, 'data.')),
      },
    };
  }

  /** Stripe's search language, as far as the adapter needs it: `metadata['key']:'value'` clauses joined by AND. */
  function search(url: URL, query: Record<string, unknown>): RouteResult {
    const text = typeof query.query === 'string' ? query.query : '';
    const clauses = text.split(/\s+AND\s+/);
    const filters: [string, string][] = [];
    for (const clause of clauses) {
      const match = /^metadata\[(['"])([^'"]+)\1\]:(['"])(.*)\3$/.exec(clause.trim());
      if (!match) {
        return stripeError(400, {
          type: 'invalid_request_error',
          code: 'parameter_invalid_string',
          param: 'query',
          message: `The sandbox cannot search for: ${clause}`,
        });
      }
      filters.push([match[2]!, match[4]!]);
    }
    const limit = Math.min(Math.max(Number(query.limit ?? 10) || 10, 1), 100);
    const start = typeof query.page === 'string' ? Number(query.page) || 0 : 0;
    const all = newestFirst().filter((intent) => filters.every(([key, value]) => intent.metadata[key] === value));
    const hasMore = start + limit < all.length;
    return {
      status: 200,
      body: {
        object: 'search_result',
        url: url.pathname,
        has_more: hasMore,
        next_page: hasMore ? String(start + limit) : null,
        data: all.slice(start, start + limit).map((intent) => withCharge(intent, listOf(query.expand), 'data.')),
      },
    };
  }

  function route(method: string, url: URL, body: Record<string, unknown>): RouteResult {
    const query = parseStripeForm(url.searchParams);
    const path = url.pathname;
    if (path === '/v1/payment_intents') {
      if (method === 'POST') return createIntent(body);
      if (method === 'GET') return list(url, query);
    }
    if (path === '/v1/payment_intents/search' && method === 'GET') return search(url, query);
    if (path === '/v1/refunds') {
      if (method === 'POST') return refund(body);
      if (method === 'GET') {
        const data = [...refunds.values()]
          .reverse()
          .filter((made) => query.payment_intent === undefined || made.payment_intent === query.payment_intent);
        return { status: 200, body: { object: 'list', url: path, has_more: false, data } };
      }
    }
    const challenge = /^\/v1\/test_helpers\/payment_intents\/([^/]+)\/authenticate$/.exec(path);
    if (challenge && method === 'POST') {
      const id = decodeURIComponent(challenge[1]!);
      const intent = intents.get(id);
      if (!intent) return notFound('payment_intent', id);
      const outcome = body.outcome === 'fail' ? 'fail' : body.outcome === 'complete' ? 'complete' : undefined;
      if (!outcome) {
        return stripeError(400, {
          type: 'invalid_request_error',
          code: 'parameter_invalid_string',
          param: 'outcome',
          message: 'outcome must be complete or fail',
        });
      }
      return authenticate(intent, outcome);
    }
    const match = /^\/v1\/payment_intents\/([^/]+)(?:\/(capture|cancel))?$/.exec(path);
    if (match) {
      const id = decodeURIComponent(match[1]!);
      const intent = intents.get(id);
      if (!intent) return notFound('payment_intent', id);
      if (method === 'GET' && !match[2]) return { status: 200, body: withCharge(intent, listOf(query.expand), '') };
      if (method === 'POST' && match[2] === 'capture') return capture(intent);
      if (method === 'POST' && match[2] === 'cancel') return cancel(intent, body);
    }
    return stripeError(404, {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}).`,
    });
  }

  /**
   * The secret key, or for the 3-D Secure helper the intent's client secret, as the customer's browser holds it
   * (Stripe.js calls with the publishable key and the client secret, never the secret key).
   */
  function authorized(header: string | undefined, path: string, body: Record<string, unknown>): boolean {
    if (header === `Bearer ${options.apiKey}`) return true;
    const challenge = /^\/v1\/test_helpers\/payment_intents\/([^/]+)\/authenticate$/.exec(path);
    const intent = challenge ? intents.get(decodeURIComponent(challenge[1]!)) : undefined;
    return (
      intent !== undefined && typeof body.client_secret === 'string' && body.client_secret === intent.client_secret
    );
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const requestId = { 'request-id': newId('req') };
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      sendJson(response, status, body, { ...requestId, ...headers });
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const text = await readBody(request);
    const body = parseStripeForm(new URLSearchParams(text));
    if (!authorized(request.headers.authorization, url.pathname, body)) {
      return send(401, {
        error: { type: 'invalid_request_error', message: 'Invalid API Key provided.' },
      });
    }
    const single = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);
    const idempotencyKey = single(request.headers['idempotency-key']);
    const correlationId = single(request.headers['x-correlation-id']);
    const method = request.method ?? 'GET';
    requestLog.push({
      method,
      path: request.url ?? '/',
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(correlationId === undefined ? {} : { correlationId }),
      at: new Date().toISOString(),
    });
    if (requestLog.length > requestLogSize) requestLog.splice(0, requestLog.length - requestLogSize);
    const outageAnswer = { error: { type: 'api_error', message: 'Sandbox outage.' } };
    if (outage === 'error') return send(500, outageAnswer);
    if (outage === 'timeout') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, hangMs).unref();
        outageEnded.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return send(500, outageAnswer);
    }
    const key = idempotencyKey;
    if (method !== 'POST' || key === undefined) {
      const result = route(method, url, body);
      if (result.hangMs) await hang(result.hangMs);
      return send(result.status, result.body);
    }
    // A digest, not the body: the answers are journaled, and the body names the PaymentMethod.
    const fingerprint = createHash('sha256').update(`${url.pathname}:${text}`).digest('base64url');
    let stored = answered.get(key);
    const replayed = stored !== undefined;
    if (!stored) {
      const { status, body: answer, hangMs: wait } = route(method, url, body);
      // Stripe replays the answer as it was given, not the object as it is now.
      const result = { fingerprint, status, body: JSON.parse(JSON.stringify(answer)) as unknown };
      // Provider faults are not remembered (see below), so they are not journaled either.
      if (status < 500) record({ op: 'answer', key, ...(correlationId ? { correlationId } : {}), ...result });
      stored = wait ? hang(wait).then(() => result) : Promise.resolve(result);
      answered.set(key, stored);
    }
    const result = await stored;
    if (result.fingerprint !== fingerprint) {
      return send(400, {
        error: {
          type: 'idempotency_error',
          message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.',
        },
      });
    }
    // Faults are not remembered: a retry with the same key gets a fresh attempt.
    if (result.status >= 500) answered.delete(key);
    return send(result.status, result.body, {
      'idempotency-key': key,
      ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
    });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendJson(response, 500, { error: { type: 'api_error', message: `sandbox failure: ${String(error)}` } });
      }
    });
  });
  const port = await listen(server, options.port);
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: options.apiKey,
    paymentIntents: () => [...intents.values()].map((intent) => ({ ...intent })),
    charges: () => [...charges.values()].map((charge) => ({ ...charge })),
    refunds: () => [...refunds.values()].map((made) => ({ ...made })),
    requests: () => [...requestLog],
    setOutage,
    setWebhookEndpoint: (endpoint) => webhooks.setEndpoint(endpoint),
    authenticate: (paymentIntentId, outcome) => {
      const intent = intents.get(paymentIntentId);
      if (!intent) throw new Error(`no payment intent ${paymentIntentId}`);
      const result = authenticate(intent, outcome);
      if (result.status !== 200) throw new Error(`cannot authenticate ${paymentIntentId}: it is ${intent.status}`);
      return result.body as SandboxPaymentIntent;
    },
    dispute: (paymentIntentId, reason = 'fraudulent') => {
      const intent = intents.get(paymentIntentId);
      const charge = intent?.latest_charge ? charges.get(intent.latest_charge) : undefined;
      if (!charge) throw new Error(`no charge to dispute on ${paymentIntentId}`);
      // Stripe's dispute object names the charge and the intent, and carries no metadata of the intent's.
      emit('charge.dispute.created', {
        id: newId('dp'),
        object: 'dispute',
        amount: charge.amount_captured || charge.amount,
        currency: charge.currency,
        charge: charge.id,
        payment_intent: paymentIntentId,
        reason,
        status: 'needs_response',
        created: epochSeconds(),
        livemode: false,
        metadata: {},
      });
    },
    webhookDeliveries: async () => {
      await webhooks.settled();
      return webhooks.deliveries();
    },
    stop: async () => {
      setOutage(undefined);
      webhooks.setEndpoint(undefined);
      await webhooks.settled();
      await close(server);
      if (journalFd !== undefined) closeSync(journalFd);
      journalFd = undefined;
    },
  };
}

/**
 * A sandbox that another process runs (the failover drill's regions share one provider, as two AWS regions share
 * Stripe): its URL and key for the adapter. Its state and webhook endpoint belong to the process that runs it, so
 * the inspection methods refuse, and the webhook endpoint is left to that process (it registers the one hostname).
 */
export function remoteStripeSandbox(url: string, apiKey: string): StripeSandbox {
  const elsewhere = (): never => {
    throw new Error(`the payment sandbox at ${url} runs in another process: inspect it there`);
  };
  return {
    url,
    apiKey,
    paymentIntents: elsewhere,
    charges: elsewhere,
    refunds: elsewhere,
    requests: elsewhere,
    setOutage: elsewhere,
    setWebhookEndpoint: () => undefined,
    authenticate: elsewhere,
    dispute: elsewhere,
    webhookDeliveries: elsewhere,
    stop: async () => undefined,
  };
}
