import { createHash, randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { close, listen, readBody, sendJson } from './http-server';

/**
 * A sandbox card-payment provider with a Stripe-like API, for offline runs. Test tokens choose the outcome, as
 * well-known providers' test cards do:
 *   tok_visa             approved
 *   tok_chargeDeclined   declined (402 card_declined)
 *   tok_processingError  provider fault (500 processing_error)
 *   tok_timeout          authorizes, then never answers in time (the caller must void by reference)
 * Any other token is declined as invalid. Requests carry an Idempotency-Key; a replay returns the first answer.
 * Like a provider's request log, the sandbox keeps each request's `x-correlation-id` (`requests()`, and in the data
 * file's answers), so one order's flow can be followed into the provider offline too.
 *
 * With a `dataFile`, every change (authorization made, status changed, idempotent answer given) is appended to it as
 * a JSON line before the answer goes out, and replayed at start: like a real provider, the sandbox remembers its
 * payments and idempotency keys across a crash of the whole local system (kill -9 included).
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

interface RouteResult {
  readonly status: number;
  readonly body: unknown;
  /** Keep the caller waiting this long before answering (the answer itself is decided, and journaled, already). */
  readonly hangMs?: number;
}

/** One line of the data file. */
type JournalEntry =
  | { readonly op: 'authorization'; readonly authorization: SandboxAuthorization }
  | { readonly op: 'status'; readonly id: string; readonly status: SandboxAuthorization['status'] }
  | ({ readonly op: 'answer'; readonly key: string; readonly correlationId?: string } & StoredResponse);

/** One request the sandbox received (with a valid API key), as a provider's request log shows it. */
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
 * A provider-wide outage, switched on and off by tests: `error` answers every request with a 500 without doing
 * anything; `timeout` holds every request without an answer until the outage ends (or hangMs passes), then answers
 * 504, also without doing anything.
 */
export type SandboxOutage = 'error' | 'timeout';

export interface PaymentSandbox {
  readonly url: string;
  readonly apiKey: string;
  authorizations(): SandboxAuthorization[];
  /** The latest requests received, oldest first. */
  requests(): SandboxRequest[];
  /** Starts (`'error'`, `'timeout'`) or ends (`undefined`) a provider outage. */
  setOutage(mode: SandboxOutage | undefined): void;
  stop(): Promise<void>;
}

export interface PaymentSandboxOptions {
  readonly port: number;
  readonly apiKey: string;
  /** How long tok_timeout (and a `timeout` outage) keeps the caller waiting. */
  readonly hangMs?: number;
  /** Append-only JSON-lines file that keeps the sandbox's state across restarts; in memory only when absent. */
  readonly dataFile?: string;
}

/** Reads the journal, dropping a last line cut short by a crash mid-write (it was never acknowledged). */
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

export async function startPaymentSandbox(options: PaymentSandboxOptions): Promise<PaymentSandbox> {
  const authorizations = new Map<string, SandboxAuthorization>();
  const answered = new Map<string, Promise<StoredResponse>>();
  const requestLog: SandboxRequest[] = [];
  const hangMs = options.hangMs ?? 60_000;

  let journalFd: number | undefined;
  if (options.dataFile) {
    for (const entry of readJournal(options.dataFile)) {
      if (entry.op === 'authorization') authorizations.set(entry.authorization.id, { ...entry.authorization });
      else if (entry.op === 'status') {
        const authorization = authorizations.get(entry.id);
        if (authorization) authorization.status = entry.status;
      } else {
        // Answers name the live authorization, as they do before a restart, so a replay shows its current status.
        const id = (entry.body as { id?: unknown } | undefined)?.id;
        const live = typeof id === 'string' ? authorizations.get(id) : undefined;
        const { fingerprint, status, body } = entry;
        answered.set(entry.key, Promise.resolve({ fingerprint, status, body: live ?? body }));
      }
    }
    mkdirSync(dirname(options.dataFile), { recursive: true });
    journalFd = openSync(options.dataFile, 'a');
  }
  // Synchronous, so an entry is in the file (the OS's, at least) before the answer that depends on it is sent.
  const record = (entry: JournalEntry) => {
    if (journalFd !== undefined) writeSync(journalFd, `${JSON.stringify(entry)}\n`);
  };

  let outage: SandboxOutage | undefined;
  const outageEnded = new Set<() => void>();
  const setOutage = (mode: SandboxOutage | undefined) => {
    outage = mode;
    for (const release of outageEnded) release();
    outageEnded.clear();
  };
  const hang = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

  async function route(method: string, url: URL, body: Record<string, unknown>): Promise<RouteResult> {
    if (method === 'GET' && url.pathname === '/v1/authorizations') {
      const reference = url.searchParams.get('reference');
      if (reference !== null) {
        return { status: 200, body: { data: [...authorizations.values()].filter((a) => a.reference === reference) } };
      }
      // Listing, oldest first, paginated as providers do (created_gte, starting_after, limit, has_more).
      const since = url.searchParams.get('created_gte') ?? '';
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 100);
      const all = [...authorizations.values()].filter((a) => a.createdAt >= since);
      const after = url.searchParams.get('starting_after');
      const start = after ? all.findIndex((a) => a.id === after) + 1 : 0;
      const data = all.slice(start, start + limit);
      return { status: 200, body: { data, has_more: start + limit < all.length } };
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
      if (authorization.status !== to) {
        authorization.status = to;
        record({ op: 'status', id: authorization.id, status: to });
      }
      return { status: 200, body: authorization };
    }
    return { status: 405, body: { error: { code: 'method_not_allowed' } } };
  }

  async function authorize(body: Record<string, unknown>): Promise<RouteResult> {
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
      record({ op: 'authorization', authorization });
      return authorization;
    };
    switch (paymentToken) {
      case 'tok_visa':
        return { status: 201, body: create() };
      case 'tok_chargeDeclined':
        return { status: 402, body: { error: { code: 'card_declined', message: 'Your card was declined.' } } };
      case 'tok_processingError':
        return { status: 500, body: { error: { code: 'processing_error' } } };
      case 'tok_timeout':
        return { status: 201, body: create(), hangMs };
      default:
        return { status: 402, body: { error: { code: 'invalid_token', message: 'Unknown payment token.' } } };
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    if (request.headers.authorization !== `Bearer ${options.apiKey}`) {
      return sendJson(response, 401, { error: { code: 'invalid_api_key' } });
    }
    const single = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);
    const idempotencyKey = single(request.headers['idempotency-key']);
    const correlationId = single(request.headers['x-correlation-id']);
    requestLog.push({
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      ...(correlationId === undefined ? {} : { correlationId }),
      at: new Date().toISOString(),
    });
    if (requestLog.length > requestLogSize) requestLog.splice(0, requestLog.length - requestLogSize);
    if (outage === 'error') {
      return sendJson(response, 500, { error: { code: 'api_error', message: 'Sandbox outage.' } });
    }
    if (outage === 'timeout') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, hangMs).unref();
        outageEnded.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      return sendJson(response, 504, { error: { code: 'gateway_timeout', message: 'Sandbox outage.' } });
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
    const key = idempotencyKey;
    if (method !== 'POST' || key === undefined) {
      const result = await route(method, url, body);
      if (result.hangMs) await hang(result.hangMs);
      return sendJson(response, result.status, result.body);
    }
    // A digest, not the body: the answers are journaled, and the body holds the payment token.
    const fingerprint = createHash('sha256').update(`${url.pathname}:${text}`).digest('base64url');
    let stored = answered.get(key);
    const replayed = stored !== undefined;
    if (!stored) {
      stored = route(method, url, body).then(async ({ status, body: answer, hangMs: wait }) => {
        const result = { fingerprint, status, body: answer };
        // Provider faults are not remembered (see below), so they are not journaled either.
        if (status < 500) record({ op: 'answer', key, ...(correlationId ? { correlationId } : {}), ...result });
        if (wait) await hang(wait);
        return result;
      });
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
    requests: () => [...requestLog],
    setOutage,
    stop: async () => {
      setOutage(undefined);
      await close(server);
      if (journalFd !== undefined) closeSync(journalFd);
      journalFd = undefined;
    },
  };
}
