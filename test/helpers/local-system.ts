import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../functions/core/data/table-design';
import { terminalStatuses } from '../../functions/core/domain/order';
import { localPartnerClient } from '../../local/token-issuer';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../local/runtime';

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
    paymentHangMs: 1500,
    retryIntervalMs: 5,
    logLevel: 'SILENT',
    ...overrides,
  });
  return new TestSystem(runtime);
}

export interface ApiResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export class TestSystem {
  constructor(readonly runtime: LocalRuntime) {}

  async tokenFor(username: string, groups: string[] = ['customers']): Promise<string> {
    const response = await fetch(`${this.runtime.apiUrl}/local/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, groups }),
    });
    if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
    return ((await response.json()) as { accessToken: string }).accessToken;
  }

  /** A partner's access token from the client-credentials grant. */
  async partnerToken(scope = 'orders/read orders/write'): Promise<string> {
    const response = await fetch(`${this.runtime.apiUrl}/local/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: localPartnerClient.clientId,
        client_secret: localPartnerClient.clientSecret,
        scope,
      }).toString(),
    });
    if (response.status !== 200) throw new Error(`oauth2 token endpoint answered ${response.status}`);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  /** The dev API key of a usage plan. */
  apiKey(plan = 'customer-app'): string {
    const key = this.runtime.apiKeys.find((apiKey) => apiKey.plan === plan);
    if (!key) throw new Error(`no usage plan ${plan}`);
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
      const { status, body } = await this.call('GET', `/orders/${orderId}`, { token });
      if (status !== 200) throw new Error(`GET /orders/${orderId} answered ${status}`);
      last = body;
      if ((terminalStatuses as readonly unknown[]).includes(body.status)) return body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`order ${orderId} not terminal within ${timeoutMs} ms (last status ${String(last?.status)})`);
  }

  /** Stock on the shelf, read straight from the table (strongly consistent). */
  async available(productId: string): Promise<number> {
    const { Item } = await this.runtime.documentClient.send(
      new GetCommand({ TableName: this.runtime.tableName, Key: keys.product(productId), ConsistentRead: true }),
    );
    if (!Item) throw new Error(`no product ${productId}`);
    return Item.available as number;
  }

  liveAuthorizations(orderId: string) {
    return this.runtime.payments.authorizations().filter((a) => a.reference === orderId && a.status === 'authorized');
  }

  stop(): Promise<void> {
    return this.runtime.stop();
  }
}
