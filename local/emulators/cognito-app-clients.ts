import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AwsApiError, type AwsOperation } from './aws-services';

/**
 * The app clients of the local user pool, served over Cognito's own JSON protocol: CreateUserPoolClient,
 * DescribeUserPoolClient, ListUserPoolClients, DeleteUserPoolClient and the client-secret lifecycle
 * (AddUserPoolClientSecret, ListUserPoolClientSecrets, DeleteUserPoolClientSecret). Partner onboarding
 * (local/commands/lib/partner-onboarding.ts) makes exactly these calls through the official SDK, in AWS and here.
 * The local token endpoint authenticates the client-credentials grant against them.
 */
export interface LocalAppClient {
  readonly clientId: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly flows: readonly string[];
  readonly createdAt: Date;
  readonly secrets: { readonly id: string; readonly value: string; readonly createdAt: Date }[];
}

/** Cognito keeps at most two secrets per client, so one can be rotated while the other is still in use. */
const maxSecrets = 2;
const target = (operation: string) => `AWSCognitoIdentityProviderService.${operation}`;

export class LocalAppClients {
  private readonly clients = new Map<string, LocalAppClient>();

  constructor(readonly userPoolId: string) {}

  /** The client whose id and one of whose secrets these are; undefined otherwise. */
  authenticate(clientId: string, secret: string): LocalAppClient | undefined {
    const client = this.clients.get(clientId);
    if (!client) return undefined;
    return client.secrets.some((candidate) => sameSecret(candidate.value, secret)) ? client : undefined;
  }

  /** The operations, keyed by the X-Amz-Target header of the SDK's JSON 1.1 protocol; each returns the 200 body. */
  readonly operations: Record<string, AwsOperation> = {
    [target('CreateUserPoolClient')]: (body) => ({ UserPoolClient: this.describe(this.create(body)) }),
    [target('DescribeUserPoolClient')]: (body) => ({ UserPoolClient: this.describe(this.clientOf(body)) }),
    [target('ListUserPoolClients')]: (body) => {
      this.poolOf(body);
      return {
        UserPoolClients: [...this.clients.values()].map((client) => ({
          ClientId: client.clientId,
          ClientName: client.clientName,
          UserPoolId: this.userPoolId,
        })),
      };
    },
    [target('DeleteUserPoolClient')]: (body) => {
      this.clients.delete(this.clientOf(body).clientId);
      return {};
    },
    [target('AddUserPoolClientSecret')]: (body) => {
      const client = this.clientOf(body);
      if (client.secrets.length >= maxSecrets) {
        throw new AwsApiError('LimitExceededException', `a client has at most ${maxSecrets} secrets`);
      }
      const secret = newSecret(optionalString(body.ClientSecret));
      client.secrets.push(secret);
      return { ClientSecretDescriptor: secretDescriptor(secret, true) };
    },
    [target('ListUserPoolClientSecrets')]: (body) => ({
      ClientSecrets: this.clientOf(body).secrets.map((secret) => secretDescriptor(secret, false)),
    }),
    [target('DeleteUserPoolClientSecret')]: (body) => {
      const client = this.clientOf(body);
      const index = client.secrets.findIndex((secret) => secret.id === body.ClientSecretId);
      if (index < 0) throw new AwsApiError('ResourceNotFoundException', 'no such client secret');
      if (client.secrets.length === 1) {
        throw new AwsApiError('InvalidParameterException', 'the last secret of a client cannot be deleted');
      }
      client.secrets.splice(index, 1);
      return {};
    },
  };

  private create(body: Record<string, unknown>): LocalAppClient {
    this.poolOf(body);
    const clientName = optionalString(body.ClientName);
    if (!clientName || !/^[\w\s+=,.@-]{1,128}$/.test(clientName)) {
      throw new AwsApiError('InvalidParameterException', 'ClientName must be 1-128 characters [\\w\\s+=,.@-]');
    }
    const scopes = stringList(body.AllowedOAuthScopes);
    const flows = stringList(body.AllowedOAuthFlows);
    if (flows.includes('client_credentials') && scopes.length === 0) {
      throw new AwsApiError('InvalidOAuthFlowException', 'client_credentials needs at least one custom scope');
    }
    const secretValue = optionalString(body.ClientSecret);
    const client: LocalAppClient = {
      clientId: this.nextClientId(clientName),
      clientName,
      scopes,
      flows,
      createdAt: new Date(),
      secrets: body.GenerateSecret === true || secretValue ? [newSecret(secretValue)] : [],
    };
    this.clients.set(client.clientId, client);
    return client;
  }

  /**
   * Cognito's client ids are 26 random characters; here they derive from the client's name, so a dev partner seeded
   * again at the next start keeps its id (and the orders the persisted table holds for it).
   */
  private nextClientId(clientName: string): string {
    for (let attempt = 0; ; attempt++) {
      const digest = createHash('sha256').update(`${clientName}#${attempt}`).digest();
      const id = [...digest.subarray(0, 26)].map((byte) => 'abcdefghijklmnopqrstuvwxyz0123456789'[byte % 36]).join('');
      if (!this.clients.has(id)) return id;
    }
  }

  private describe(client: LocalAppClient) {
    return {
      UserPoolId: this.userPoolId,
      ClientId: client.clientId,
      ClientName: client.clientName,
      // Like Cognito, the (first) secret is shown by Create and Describe; list and rotation show it only once.
      ...(client.secrets[0] ? { ClientSecret: client.secrets[0].value } : {}),
      AllowedOAuthFlows: [...client.flows],
      AllowedOAuthScopes: [...client.scopes],
      AllowedOAuthFlowsUserPoolClient: client.flows.length > 0,
      CreationDate: client.createdAt.getTime() / 1000,
      LastModifiedDate: client.createdAt.getTime() / 1000,
    };
  }

  private poolOf(body: Record<string, unknown>) {
    if (body.UserPoolId !== this.userPoolId) {
      throw new AwsApiError('ResourceNotFoundException', `User pool ${String(body.UserPoolId)} does not exist.`);
    }
  }

  private clientOf(body: Record<string, unknown>): LocalAppClient {
    this.poolOf(body);
    const client = this.clients.get(String(body.ClientId));
    if (!client)
      throw new AwsApiError('ResourceNotFoundException', `User pool client ${String(body.ClientId)} does not exist.`);
    return client;
  }
}

function newSecret(value?: string) {
  return {
    id: `${randomUUID()}`,
    value: value ?? randomBytes(39).toString('base64url').slice(0, 51),
    createdAt: new Date(),
  };
}

function secretDescriptor(secret: { id: string; value: string; createdAt: Date }, withValue: boolean) {
  return {
    ClientSecretId: secret.id,
    ...(withValue ? { ClientSecretValue: secret.value } : {}),
    ClientSecretCreateDate: secret.createdAt.getTime() / 1000,
  };
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string') : [];
}
