import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient, CreateUserPoolClientCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDbPartnerDirectory } from '../../functions/core/adapters/dynamodb/partner-directory';
import { partnerScopes } from '../../functions/api/routes';
import {
  createPartner,
  disablePartner,
  PartnerCommandError,
  rotatePartnerSecret,
  type PartnerOnboardingDeps,
} from '../../local/commands/lib/partner-onboarding';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

/**
 * Partners are tenants: each has its own app client, API key and usage plan, and its data is keyed by its partner id.
 * Everything goes through the local gateway, the real handlers and DynamoDB Local; partner onboarding runs the same
 * SDK calls as in AWS against the local user pool and API keys.
 */
let system: TestSystem;
let deps: PartnerOnboardingDeps;
const tokens: Record<string, string> = {};

const order = (quantity = 1) =>
  orderRequest({ items: [{ productId: 'prod_espresso_beans', quantity }], paymentToken: 'pm_card_visa' });

beforeAll(async () => {
  system = await startTestSystem({
    // One caller may place 3 orders at once, then one every 10 s: low enough to show, high enough for the rest.
    rateLimits: { perCaller: { rateLimit: 0.1, burstLimit: 3 } },
  });
  const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  deps = {
    cognito: new CognitoIdentityProviderClient({ ...local, endpoint: system.runtime.aws.url }),
    apiGateway: new APIGatewayClient({ ...local, endpoint: system.runtime.apiKeyRegistry.url }),
    directory: new DynamoDbPartnerDirectory(system.runtime.documentClient, system.runtime.tableName),
    userPoolId: system.runtime.appClients.userPoolId,
    envName: 'local',
    tiers: ['partner-standard', 'partner-premium'],
  };
  for (const partner of ['partner-a', 'partner-b']) tokens[partner] = await system.partnerToken(undefined, partner);
});
afterAll(async () => {
  deps?.cognito.destroy();
  deps?.apiGateway.destroy();
  await system?.stop();
});

const as = (partner: 'partner-a' | 'partner-b') => ({ token: tokens[partner]!, apiKey: system.apiKey(partner) });

describe('two partners, two tenants', () => {
  it("keeps each partner's orders its own: reads, lists and cancels of the other's answer 404", async () => {
    const placed = await system.call('POST', '/orders', { ...as('partner-a'), body: order() });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId as string;
    expect(placed.body).not.toHaveProperty('customerId');

    expect((await system.call('GET', `/orders/${orderId}`, as('partner-a'))).status).toBe(200);
    for (const path of [`/orders/${orderId}`, `/orders/${orderId}/history`]) {
      const response = await system.call('GET', path, as('partner-b'));
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
    const cancel = await system.call('POST', `/orders/${orderId}/cancel`, as('partner-b'));
    expect(cancel.status).toBe(404);
    const listed = await system.call<{ orders: { orderId: string }[] }>('GET', '/orders', as('partner-b'));
    expect(listed.body.orders.map((o) => o.orderId)).not.toContain(orderId);
    await system.waitForTerminal(orderId, tokens['partner-a']!);
    // The order was never touched by partner-b's cancel.
    const after = await system.call('GET', `/orders/${orderId}`, as('partner-a'));
    expect(after.body.status).toBe('CONFIRMED');
  });

  it('keeps idempotency keys per partner: the same key from the other partner is a new order, not a replay', async () => {
    const key = `checkout-${Date.now()}`;
    const fromA = await system.call('POST', '/orders', {
      ...as('partner-a'),
      body: order(),
      headers: { 'idempotency-key': key },
    });
    const fromB = await system.call('POST', '/orders', {
      ...as('partner-b'),
      body: order(2),
      headers: { 'idempotency-key': key },
    });
    expect(fromA.status).toBe(202);
    expect(fromB.status).toBe(202);
    expect(fromB.headers.get('idempotent-replayed')).toBe('false');
    expect(fromB.body.orderId).not.toBe(fromA.body.orderId);
    // Each partner's own replay still replays its own answer.
    const replayA = await system.call('POST', '/orders', {
      ...as('partner-a'),
      body: order(),
      headers: { 'idempotency-key': key },
    });
    expect(replayA.headers.get('idempotent-replayed')).toBe('true');
    expect(replayA.body.orderId).toBe(fromA.body.orderId);
  });

  it('holds back one caller past its limit while another caller is still served', async () => {
    // partner-b's earlier orders used some of its bucket; a fresh customer token has all of its own.
    const bob = await system.tokenFor('bob');
    let refused: Awaited<ReturnType<TestSystem['call']>> | undefined;
    for (let attempt = 0; attempt < 5 && !refused; attempt++) {
      const response = await system.call('POST', '/orders', { token: bob, body: order() });
      if (response.status === 429) refused = response;
    }
    expect(refused?.status).toBe(429);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Same API key (the storefront's), same method, another caller: served.
    const carol = await system.tokenFor('carol');
    expect((await system.call('POST', '/orders', { token: carol, body: order() })).status).toBe(202);
    // And bob may still read.
    expect((await system.call('GET', '/orders', { token: bob })).status).toBe(200);
  });
});

describe('partner onboarding (npm run partner), through the Cognito and API Gateway SDKs', () => {
  it('creates a partner whose client secret and API key work at once, in its own tier', async () => {
    const created = await createPartner(deps, { partnerId: 'acme-retail', plan: 'partner-premium' });
    expect(created.partner).toMatchObject({ partnerId: 'acme-retail', plan: 'partner-premium', status: 'active' });
    expect(system.runtime.apiKeyRegistry.planOf(created.apiKey)).toBe('partner-premium');
    const token = await system.clientCredentialsToken(created.clientId, created.clientSecret);
    const placed = await system.call('POST', '/orders', { token, apiKey: created.apiKey, body: order() });
    expect(placed.status).toBe(202);
    await expect(createPartner(deps, { partnerId: 'acme-retail', plan: 'partner-standard' })).rejects.toThrow(
      PartnerCommandError,
    );
  });

  it('refuses bad names and unknown tiers, and leaves nothing behind', async () => {
    const before = (await deps.directory.list()).length;
    const keysBefore = system.runtime.apiKeyRegistry.list().length;
    for (const request of [
      { partnerId: 'Bad Name', plan: 'partner-standard' },
      { partnerId: 'x', plan: 'partner-standard' },
      { partnerId: 'fine-name', plan: 'gold' },
    ]) {
      await expect(createPartner(deps, request)).rejects.toThrow(PartnerCommandError);
    }
    expect((await deps.directory.list()).length).toBe(before);
    expect(system.runtime.apiKeyRegistry.list().length).toBe(keysBefore);
    await expect(rotatePartnerSecret(deps, 'nobody')).rejects.toThrow(/no partner nobody/);
  });

  it('rotates a secret with an overlap: the previous secret works until the next rotation', async () => {
    const created = await createPartner(deps, { partnerId: 'rotating-partner', plan: 'partner-standard' });
    const first = created.clientSecret;
    const { clientSecret: second } = await rotatePartnerSecret(deps, 'rotating-partner');
    await expect(system.clientCredentialsToken(created.clientId, first)).resolves.toEqual(expect.any(String));
    await expect(system.clientCredentialsToken(created.clientId, second)).resolves.toEqual(expect.any(String));
    const { clientSecret: third, retired } = await rotatePartnerSecret(deps, 'rotating-partner');
    expect(retired).toBe(1);
    await expect(system.clientCredentialsToken(created.clientId, first)).rejects.toThrow(/400/);
    await expect(system.clientCredentialsToken(created.clientId, second)).resolves.toEqual(expect.any(String));
    await expect(system.clientCredentialsToken(created.clientId, third)).resolves.toEqual(expect.any(String));
  });

  it("refuses a disabled partner's key at the gateway and its token in the API, naming the reason", async () => {
    const created = await createPartner(deps, { partnerId: 'leaving-partner', plan: 'partner-standard' });
    const token = await system.clientCredentialsToken(created.clientId, created.clientSecret);
    await disablePartner(deps, 'leaving-partner');
    // Its own key: API Gateway's 403 for a disabled key.
    expect((await system.call('GET', '/orders', { token, apiKey: created.apiKey })).status).toBe(403);
    // Its token behind another key reaches the API, which refuses the partner itself.
    const behindOtherKey = await system.call('GET', '/orders', { token });
    expect(behindOtherKey.status).toBe(403);
    expect(behindOtherKey.body).toMatchObject({ code: 'PARTNER_DISABLED' });
    const before = await system.snapshot();
    const placed = await system.call('POST', '/orders', { token, body: order() });
    expect(placed.status).toBe(403);
    expect(placed.body).toMatchObject({ code: 'PARTNER_DISABLED' });
    expect(await system.snapshot()).toEqual(before);
    expect((await deps.directory.get('leaving-partner'))?.status).toBe('disabled');
  });

  it('refuses a token from an app client no partner owns', async () => {
    const { UserPoolClient } = await deps.cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: deps.userPoolId,
        ClientName: 'unregistered',
        GenerateSecret: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthScopes: [...partnerScopes],
      }),
    );
    const token = await system.clientCredentialsToken(UserPoolClient!.ClientId!, UserPoolClient!.ClientSecret!);
    const response = await system.call('GET', '/orders', { token });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ code: 'UNKNOWN_PARTNER' });
    const before = await system.snapshot();
    const placed = await system.call('POST', '/orders', { token, body: order() });
    expect([placed.status, placed.body.code]).toEqual([403, 'UNKNOWN_PARTNER']);
    expect(await system.snapshot()).toEqual(before);
  });
});
