import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetUsagePlansCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  AddUserPoolClientSecretCommand,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
  DeleteUserPoolClientSecretCommand,
  ListUserPoolClientSecretsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { PartnerDirectory, PartnerRecord } from '../../../functions/core/domain/ports';
import { partnerIdPattern } from '../../../functions/core/domain/tenancy';
import { partnerScopes } from '../../../functions/api/routes';

/**
 * Partner onboarding: the same Cognito and API Gateway calls an operator would make in the console, through the
 * official SDK clients, so one code path serves AWS and the offline system (whose emulators speak those protocols).
 * A partner is one app client (client credentials, the partner scopes), one API key in its usage-plan tier, and one
 * registry item that API functions read to scope the partner's data to its id.
 */
export interface PartnerOnboardingDeps {
  readonly cognito: CognitoIdentityProviderClient;
  readonly apiGateway: APIGatewayClient;
  readonly directory: PartnerDirectory;
  readonly userPoolId: string;
  /** The environment name in resource names: usage plans are `orders-<env>-<tier>`, keys `orders-<env>-partner-<id>`. */
  readonly envName: string;
  /** The usage-plan tiers of the environment (cdk.json `api.usagePlans`). */
  readonly tiers: readonly string[];
  readonly now?: () => Date;
}

export interface NewPartner {
  readonly partnerId: string;
  readonly plan: string;
  /** Fixed values for seeded dev partners only; AWS generates both otherwise. */
  readonly clientSecret?: string;
  readonly apiKeyValue?: string;
}

export interface PartnerCredentials {
  readonly partner: PartnerRecord;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly apiKey: string;
}

/** A refusal the command prints as it is (exit status 1): bad input or a state that forbids the operation. */
export class PartnerCommandError extends Error {}

export async function createPartner(deps: PartnerOnboardingDeps, request: NewPartner): Promise<PartnerCredentials> {
  const { partnerId, plan } = request;
  if (!partnerIdPattern.test(partnerId)) {
    throw new PartnerCommandError(
      `"${partnerId}" is not a partner name: 3-40 lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  if (!deps.tiers.includes(plan)) {
    throw new PartnerCommandError(`no usage-plan tier "${plan}"; the tiers are: ${deps.tiers.join(', ')}`);
  }
  if (await deps.directory.get(partnerId)) throw new PartnerCommandError(`partner ${partnerId} exists already`);
  const credentials = await provisionCredentials(deps, request);
  try {
    const at = (deps.now?.() ?? new Date()).toISOString();
    const partner: PartnerRecord = {
      partnerId,
      plan,
      status: 'active',
      clientId: credentials.clientId,
      apiKeyId: credentials.apiKeyId,
      createdAt: at,
      updatedAt: at,
    };
    // Last, so the partner exists only once everything it needs does; a concurrent create of the same id loses here.
    if (!(await deps.directory.register(partner))) throw new PartnerCommandError(`partner ${partnerId} exists already`);
    return { partner, ...credentials };
  } catch (error) {
    await credentials.discard();
    throw error;
  }
}

/**
 * The app client and the API key of a partner, made through the SDK. On a failure half way nothing is left behind:
 * a client or key that no registry item names would be an orphan credential.
 */
export async function provisionCredentials(deps: PartnerOnboardingDeps, request: NewPartner) {
  const { partnerId, plan } = request;
  const usagePlanId = await usagePlanIdOf(deps, plan);
  const resourceName = `orders-${deps.envName}-partner-${partnerId}`;
  const { UserPoolClient: client } = await deps.cognito.send(
    new CreateUserPoolClientCommand({
      UserPoolId: deps.userPoolId,
      ClientName: resourceName,
      GenerateSecret: true,
      ...(request.clientSecret ? { ClientSecret: request.clientSecret } : {}),
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: [...partnerScopes],
      AllowedOAuthFlowsUserPoolClient: true,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes' },
    }),
  );
  if (!client?.ClientId || !client.ClientSecret) throw new Error('Cognito returned no client id or secret');
  const clientId = client.ClientId;
  let apiKeyId: string | undefined;
  const discard = async () => {
    if (apiKeyId) await deps.apiGateway.send(new DeleteApiKeyCommand({ apiKey: apiKeyId })).catch(() => undefined);
    await deps.cognito
      .send(new DeleteUserPoolClientCommand({ UserPoolId: deps.userPoolId, ClientId: clientId }))
      .catch(() => undefined);
  };
  try {
    const key = await deps.apiGateway.send(
      new CreateApiKeyCommand({
        name: resourceName,
        description: `Orders API (${deps.envName}): partner ${partnerId}, usage plan ${plan}`,
        enabled: true,
        ...(request.apiKeyValue ? { value: request.apiKeyValue } : {}),
        tags: { partner: partnerId },
      }),
    );
    apiKeyId = key.id;
    if (!apiKeyId || !key.value) throw new Error('API Gateway returned no key id or value');
    await deps.apiGateway.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: apiKeyId, keyType: 'API_KEY' }));
    return { clientId, clientSecret: client.ClientSecret, apiKeyId, apiKey: key.value, discard };
  } catch (error) {
    await discard();
    throw error;
  }
}

/**
 * Issues a new client secret and keeps the newest old one valid, so the partner can switch without downtime
 * (Cognito keeps at most two): the one before that stops working now.
 */
export async function rotatePartnerSecret(
  deps: PartnerOnboardingDeps,
  partnerId: string,
): Promise<{ clientId: string; clientSecret: string; retired: number }> {
  const partner = await existingPartner(deps, partnerId);
  const target = { UserPoolId: deps.userPoolId, ClientId: partner.clientId };
  const { ClientSecrets = [] } = await deps.cognito.send(new ListUserPoolClientSecretsCommand(target));
  const oldestFirst = [...ClientSecrets].sort(
    (a, b) => (a.ClientSecretCreateDate?.getTime() ?? 0) - (b.ClientSecretCreateDate?.getTime() ?? 0),
  );
  const retire = oldestFirst.slice(0, Math.max(0, oldestFirst.length - 1));
  for (const secret of retire) {
    await deps.cognito.send(
      new DeleteUserPoolClientSecretCommand({ ...target, ClientSecretId: secret.ClientSecretId }),
    );
  }
  const { ClientSecretDescriptor } = await deps.cognito.send(new AddUserPoolClientSecretCommand(target));
  if (!ClientSecretDescriptor?.ClientSecretValue) throw new Error('Cognito returned no new secret');
  return { clientId: partner.clientId, clientSecret: ClientSecretDescriptor.ClientSecretValue, retired: retire.length };
}

/**
 * Disables a partner: its API key at once (API Gateway refuses it), and its registry entry, which API functions
 * honour within their one-minute cache. The client stays, so the record of who it was stays readable.
 */
export async function disablePartner(deps: PartnerOnboardingDeps, partnerId: string): Promise<PartnerRecord> {
  const partner = await existingPartner(deps, partnerId);
  await disableApiKey(deps, partner.apiKeyId);
  const at = (deps.now?.() ?? new Date()).toISOString();
  await deps.directory.setStatus(partnerId, 'disabled', at);
  return { ...partner, status: 'disabled', updatedAt: at };
}

export async function disableApiKey(deps: Pick<PartnerOnboardingDeps, 'apiGateway'>, apiKeyId: string) {
  await deps.apiGateway.send(
    new UpdateApiKeyCommand({
      apiKey: apiKeyId,
      patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
    }),
  );
}

async function existingPartner(deps: PartnerOnboardingDeps, partnerId: string): Promise<PartnerRecord> {
  const partner = await deps.directory.get(partnerId);
  if (!partner) throw new PartnerCommandError(`no partner ${partnerId} (npm run partner -- list shows them)`);
  return partner;
}

async function usagePlanIdOf(deps: PartnerOnboardingDeps, plan: string): Promise<string> {
  const name = `orders-${deps.envName}-${plan}`;
  let position: string | undefined;
  do {
    const page = await deps.apiGateway.send(new GetUsagePlansCommand({ limit: 500, position }));
    const found = page.items?.find((candidate) => candidate.name === name);
    if (found?.id) return found.id;
    position = page.position;
  } while (position);
  throw new PartnerCommandError(`no usage plan ${name}: is the environment deployed?`);
}
