import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { scanAll } from '../../functions/core/adapters/dynamodb/pagination';
import { featureFlagsDocument } from '../../functions/core/config/feature-flags';
import { DynamoDbCatalogStore } from '../../functions/core/adapters/dynamodb/catalog-store';
import { envNames } from '../../functions/core/config/settings';
import { terminalStatuses } from '../../functions/core/domain/order';
import {
  projectRoot,
  startLocalRuntime,
  type LocalRuntime,
  type LocalRuntimeOptions,
} from '../../local/runtime/local-runtime';
import type { RecordedEvent } from '../../local/emulators/aws-services';

/** A model file that does not exist: CheckRisk then decides by the static rules. */
export const rulesOnlyRiskModelFile = join(projectRoot, 'test', 'fixtures', 'no-risk-model.json');
/** The model shipped with the code, loaded from its file as RISK_MODEL_FILE would load any other. */
export const bundledRiskModelFile = join(projectRoot, 'functions', 'core', 'risk', 'risk-model.json');

/**
 * Starts the offline system for one test file against the shared DynamoDB Local, in a table of its own, with fast
 * retries and a short payment timeout so failure paths finish in well under a second.
 */
export async function startTestSystem(overrides: Partial<LocalRuntimeOptions> = {}): Promise<TestSystem> {
  const endpoint = process.env.TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('TEST_DYNAMODB_ENDPOINT is not set: run integration tests through jest');
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: true,
    dynamoDbEndpoint: endpoint,
    tableName: `orders-test-${randomUUID()}`,
    paymentTimeoutMs: 250,
    // Longer than every attempt of an authorization (3 invocations x 2 requests of 250 ms, plus backoff), so
    // pm_card_sandbox_timeout never answers in time, as its name promises.
    paymentHangMs: 5000,
    // Failure-path tests send one failing payment after another, far faster than real traffic: the production
    // threshold would open the breaker across unrelated tests. Breaker tests set their own.
    paymentBreaker: { threshold: 1000 },
    retryIntervalMs: 5,
    logLevel: 'SILENT',
    // cdk.json's limits exactly, whatever LOCAL_RATE_LIMIT_SCALE the developer's shell exports.
    rateLimits: {},
    // The checked-in feature flags, whatever FEATURE_FLAGS_FILE the shell exports.
    featureFlagsFile: join(projectRoot, featureFlagsDocument),
    // The saga's tests have one test customer place dozens of orders a minute, which the fraud model rightly
    // rejects: they run CheckRisk on the static rules (the fallback when no model loads). The model's own
    // integration test (fraud-scoring.test.ts) passes `riskModelFile: bundledRiskModelFile`.
    riskModelFile: rulesOnlyRiskModelFile,
    ...overrides,
  });
  return new TestSystem(runtime);
}

export interface ApiResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** Everything a request can change, as `TestSystem.snapshot` reads it. */
export interface SystemSnapshot {
  /** Every item of the orders table, sorted by key: orders, history, holds, products (with their stock), movements. */
  readonly items: readonly Record<string, unknown>[];
  readonly orderCount: number;
  readonly idempotencyRecords: number;
  readonly eventCount: number;
  readonly authorizations: readonly { readonly reference: string; readonly status: string }[];
}

export class TestSystem {
  constructor(readonly runtime: LocalRuntime) {}

  async tokenFor(username: string, groups: string[] = ['customers']): Promise<string> {
    return (await this.localTokens({ username, groups })).accessToken;
  }

  /** The user's ID token (asked for without groups): the one a client must not send to scoped routes. */
  async idTokenFor(username: string): Promise<string> {
    return (await this.localTokens({ username })).idToken;
  }

  private async localTokens(request: { username: string; groups?: string[] }) {
    const response = await fetch(`${this.runtime.apiUrl}/local/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
    return (await response.json()) as { accessToken: string; idToken: string };
  }

  /**
   * Signs a new customer up the way a shopper does offline (sign-up, the emailed code, confirm) and signs them in
   * with their password: their access token, whose groups the post-confirmation trigger set.
   */
  async signedUpCustomerToken(username: string, password = 'Sunny-Day-2026!'): Promise<string> {
    const local = async (path: string, body: unknown) => {
      const response = await fetch(`${this.runtime.apiUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    };
    await local('/local/signup', { username, email: `${username}@example.com`, password });
    const mailbox = await fetch(`${this.runtime.apiUrl}/local/mailbox?username=${username}`);
    const { messages } = (await mailbox.json()) as { messages: { code: string }[] };
    await local('/local/confirm', { username, code: messages.at(-1)!.code });
    return String((await local('/local/token', { username, password })).accessToken);
  }

  /** A dev partner's access token from the client-credentials grant (`partner-a` unless named). */
  async partnerToken(scope = 'orders/read orders/write', partnerId = 'partner-a'): Promise<string> {
    const partner = this.partner(partnerId);
    return this.clientCredentialsToken(partner.clientId, partner.clientSecret, scope);
  }

  /** A seeded dev partner's credentials. */
  partner(partnerId: string) {
    const partner = this.runtime.partners.find((candidate) => candidate.partnerId === partnerId);
    if (!partner) throw new Error(`no dev partner ${partnerId}`);
    return partner;
  }

  /** Any app client's access token from the client-credentials grant. */
  async clientCredentialsToken(clientId: string, clientSecret: string, scope = 'orders/read orders/write') {
    const response = await fetch(`${this.runtime.apiUrl}/local/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
        scope,
      }).toString(),
    });
    if (response.status !== 200) throw new Error(`oauth2 token endpoint answered ${response.status}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  /** The dev API key of a client app or dev partner (`storefront`, `partner-a`), or the first one of a usage plan. */
  apiKey(ownerOrPlan = 'storefront'): string {
    const key =
      this.runtime.apiKeys.find((apiKey) => apiKey.owner === ownerOrPlan) ??
      this.runtime.apiKeys.find((apiKey) => apiKey.plan === ownerOrPlan);
    if (!key) throw new Error(`no API key of ${ownerOrPlan}`);
    return key.value;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: {
      token?: string;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
      /** Defaults to the customer app's key; null sends none. */
      apiKey?: string | null;
    } = {},
  ): Promise<ApiResult<T>> {
    const response = await fetch(`${this.runtime.apiUrl}${path}`, {
      method,
      headers: {
        ...(options.apiKey === null ? {} : { 'x-api-key': options.apiKey ?? this.apiKey() }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined || options.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.rawBody !== undefined ? { body: options.rawBody } : {}),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** Polls the API until the order reaches a terminal status, failing after the deadline. */
  async waitForTerminal(orderId: string, token: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, unknown> | undefined;
    while (Date.now() < deadline) {
      const { status, headers, body } = await this.call('GET', `/orders/${orderId}`, { token });
      if (status === 429) {
        // Many pollers at once can outrun the method throttle; back off as a well-behaved client does.
        const retryAfterMs = Number(headers.get('retry-after') ?? 1) * 1000;
        await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfterMs, Math.max(0, deadline - Date.now()))));
        continue;
      }
      if (status !== 200) throw new Error(`GET /orders/${orderId} answered ${status}`);
      last = body;
      if ((terminalStatuses as readonly unknown[]).includes(body.status)) return body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`order ${orderId} not terminal within ${timeoutMs} ms (last status ${String(last?.status)})`);
  }

  /** Stock on the shelf, read straight from the table (strongly consistent; a sharded product's shards summed). */
  async available(productId: string): Promise<number> {
    const product = await new DynamoDbCatalogStore(this.runtime.documentClient, this.runtime.tableName).get(productId);
    if (!product) throw new Error(`no product ${productId}`);
    return product.available;
  }

  /**
   * The state after the sagas have gone quiet. Two equal snapshots around a refused request prove that it changed
   * nothing. Scans are fine here: this is test code reading a small table, never a request path.
   */
  async snapshot(): Promise<SystemSnapshot> {
    if (!(await this.runtime.drain(10_000))) throw new Error('sagas were still running after 10 s');
    // And the sandbox's webhook deliveries those sagas caused, which write to the table too (and their events).
    await this.runtime.payments.webhookDeliveries();
    if (!(await this.runtime.relay.settle(10_000))) throw new Error('the outbox relay did not catch up within 10 s');
    const scan = (tableName: string) =>
      scanAll(this.runtime.documentClient, { TableName: tableName, ConsistentRead: true });
    const items = (await scan(this.runtime.tableName)).sort(
      (a, b) => String(a.PK).localeCompare(String(b.PK)) || String(a.SK).localeCompare(String(b.SK)),
    );
    const idempotencyTable = process.env[envNames.idempotency.tableName];
    if (!idempotencyTable) throw new Error(`${envNames.idempotency.tableName} is not set`);
    return {
      items,
      orderCount: items.filter((item) => item.entity === 'order').length,
      idempotencyRecords: (await scan(idempotencyTable)).length,
      eventCount: this.runtime.aws.events().length,
      authorizations: this.runtime.payments
        .paymentIntents()
        .map(({ metadata, status }) => ({ reference: metadata.orderId ?? '', status }))
        .sort((a, b) => a.reference.localeCompare(b.reference)),
    };
  }

  /**
   * The events on the bus once the outbox relay has published every event written so far: state changes announce
   * themselves through the table's stream, a moment after the change.
   */
  async publishedEvents(): Promise<RecordedEvent[]> {
    if (!(await this.runtime.relay.settle(10_000))) throw new Error('the outbox relay did not catch up within 10 s');
    return this.runtime.aws.events();
  }

  liveAuthorizations(orderId: string) {
    return this.runtime.payments
      .paymentIntents()
      .filter((a) => a.metadata.orderId === orderId && a.status === 'requires_capture');
  }

  stop(): Promise<void> {
    return this.runtime.stop();
  }
}

/** The running system and one user's token: what most API test files start from (once per file, in beforeAll). */
export async function startWithUser(
  username: string,
  overrides: Partial<LocalRuntimeOptions> = {},
): Promise<{ system: TestSystem; token: string }> {
  const system = await startTestSystem(overrides);
  return { system, token: await system.tokenFor(username) };
}
