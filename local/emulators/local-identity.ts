import type { ServerResponse } from 'node:http';
import {
  CognitoIdentityProviderClient,
  CognitoIdentityProviderServiceException,
  ConfirmSignUpCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AwsApiError, type LocalAwsEmulator } from './aws-services';
import { cognitoTargets, LocalUserPool } from './cognito-idp';
import { sendJson } from './http-server';
import { loadHandler } from './lambda-context';
import { devUsers, knownGroups, localUserPool, userSub, type LocalTokenIssuer } from './token-issuer';

/** The post-confirmation trigger's handler module, which Cognito invokes in AWS and the emulator invokes offline. */
export const postConfirmationHandler = 'functions/triggers/post-confirmation.ts';

/**
 * Starts the user pool offline: the emulator's operations served by the local AWS endpoint (which
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER must already name, for the trigger's SDK calls), the dev users seeded,
 * and the gateway's identity routes. Each confirmation code is printed unless `quiet`, as an email would be sent.
 */
export async function startLocalIdentity(options: {
  readonly projectRoot: string;
  readonly aws: LocalAwsEmulator;
  readonly issuer: LocalTokenIssuer;
  readonly quiet: boolean;
}): Promise<{ readonly users: LocalUserPool; readonly routes: LocalIdentityRoutes }> {
  const users = new LocalUserPool({
    region: localUserPool.region,
    userPoolId: localUserPool.userPoolId,
    groups: knownGroups,
    clients: { [localUserPool.clientId]: { allowSignUp: true } },
    postConfirmation: await loadHandler(options.projectRoot, postConfirmationHandler),
    ...(options.quiet
      ? {}
      : {
          onCodeSent: ({ username, email, code }) =>
            console.log(`[local mail] to ${email}: the confirmation code of ${username} is ${code}`),
        }),
  });
  options.aws.serve(cognitoTargets(users.userOperations()));
  const routes = new LocalIdentityRoutes(users, options.issuer, options.aws.url);
  routes.seedDevUsers();
  return { users, routes };
}

/**
 * The local gateway's dev-only identity routes (never deployed): what a customer app does against Cognito, over
 * plain JSON so curl can drive it.
 *   POST /local/signup  {username, email, password}  → Cognito SignUp (the code is "emailed": printed and kept in
 *                                                        the mailbox)
 *   POST /local/confirm {username, code}             → ConfirmSignUp (the post-confirmation trigger then runs)
 *   POST /local/resend-code {username}               → ResendConfirmationCode
 *   GET  /local/mailbox[?username=…]                 → the confirmation codes sent
 *   GET  /local/users                                → the dev users and their current groups
 *   POST /local/token   {username, password}         → tokens of a signed-up user, with their `sub` and groups
 *   POST /local/token   {username[, groups]}         → tokens of a dev user (alice, bob, admin: groups from the
 *                                                        directory) or of any other name not signed up (as before)
 * Sign-up and confirmation go through the official SDK to the user-pool emulator, as an app's calls reach Cognito.
 * Cognito's errors keep their names: {"error": "CodeMismatchException", "message": …}.
 */
export class LocalIdentityRoutes {
  private readonly client: CognitoIdentityProviderClient;

  constructor(
    private readonly pool: LocalUserPool,
    private readonly issuer: LocalTokenIssuer,
    cognitoEndpoint: string,
  ) {
    this.client = new CognitoIdentityProviderClient({
      endpoint: cognitoEndpoint,
      region: pool.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  /** Seeds the dev users into the directory, so `npm run admin` finds them; their `sub` is the one tokens carry. */
  seedDevUsers(): void {
    for (const user of devUsers) this.pool.seed({ ...user, sub: userSub(user.username) });
  }

  stop(): void {
    this.client.destroy();
  }

  /** Answers the request if it is one of these routes; false otherwise. */
  async handle(method: string, url: URL, body: string, response: ServerResponse): Promise<boolean> {
    const route = `${method} ${url.pathname}`;
    if (route === 'GET /local/users') {
      // The dev users with their groups as the directory has them now (after any `npm run admin`).
      const users = devUsers.map(({ username, email }) => ({
        username,
        email,
        groups: [...(this.pool.find(username)?.groups ?? [])].sort(),
      }));
      sendJson(response, 200, { users });
      return true;
    }
    if (route === 'GET /local/mailbox') {
      const username = url.searchParams.get('username') ?? undefined;
      sendJson(response, 200, { messages: this.pool.mailbox(username) });
      return true;
    }
    const operation = {
      'POST /local/signup': (request: Record<string, unknown>) => this.signUp(request),
      'POST /local/confirm': (request: Record<string, unknown>) => this.confirm(request),
      'POST /local/resend-code': (request: Record<string, unknown>) => this.resendCode(request),
      'POST /local/token': (request: Record<string, unknown>) => this.token(request),
    }[route];
    if (!operation) return false;
    let request: Record<string, unknown>;
    try {
      const parsed = JSON.parse(body || '{}') as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      request = parsed as Record<string, unknown>;
    } catch {
      sendJson(response, 400, { error: 'InvalidParameterException', message: 'the body must be a JSON object' });
      return true;
    }
    try {
      const [status, result] = await operation(request);
      sendJson(response, status, result);
    } catch (error) {
      const named = cognitoError(error);
      if (!named) throw error;
      sendJson(response, statusOf(named.name), { error: named.name, message: named.message });
    }
    return true;
  }

  private async signUp(request: Record<string, unknown>): Promise<[number, unknown]> {
    const result = await this.client.send(
      new SignUpCommand({
        ClientId: localUserPool.clientId,
        Username: text(request, 'username'),
        Password: text(request, 'password'),
        UserAttributes: [{ Name: 'email', Value: text(request, 'email') }],
      }),
    );
    return [
      200,
      {
        userSub: result.UserSub,
        userConfirmed: result.UserConfirmed,
        codeDeliveryDetails: result.CodeDeliveryDetails,
        next: 'POST /local/confirm {"username", "code"}: the code is printed by npm start and at GET /local/mailbox',
      },
    ];
  }

  private async confirm(request: Record<string, unknown>): Promise<[number, unknown]> {
    await this.client.send(
      new ConfirmSignUpCommand({
        ClientId: localUserPool.clientId,
        Username: text(request, 'username'),
        ConfirmationCode: text(request, 'code'),
      }),
    );
    return [200, { confirmed: true }];
  }

  private async resendCode(request: Record<string, unknown>): Promise<[number, unknown]> {
    const result = await this.client.send(
      new ResendConfirmationCodeCommand({ ClientId: localUserPool.clientId, Username: text(request, 'username') }),
    );
    return [200, { codeDeliveryDetails: result.CodeDeliveryDetails }];
  }

  /**
   * A password sign-in checks the directory as Cognito's InitiateAuth would; without a password only users who have
   * none (the dev users, or names never signed up) get tokens, so a signed-up account cannot be taken over by name.
   */
  private async token(request: Record<string, unknown>): Promise<[number, unknown]> {
    const username = request.username;
    if (typeof username !== 'string' || !/^[a-z0-9._@+-]{1,128}$/i.test(username)) {
      return [400, { error: 'InvalidParameterException', message: 'username must be 1-128 letters, digits or ._@+-' }];
    }
    if (request.password !== undefined) {
      const user = this.pool.authenticate(username, typeof request.password === 'string' ? request.password : '');
      return [200, this.issuer.issue(user.username, [...user.groups].sort(), user.email, user.sub)];
    }
    const known = this.pool.find(username);
    if (known?.passwordHash) {
      throw new AwsApiError('NotAuthorizedException', 'Signed-up users sign in with their password.');
    }
    const groups = request.groups ?? (known ? [...known.groups].sort() : ['customers']);
    if (!Array.isArray(groups) || !groups.every((group) => (knownGroups as readonly unknown[]).includes(group))) {
      return [
        400,
        { error: 'InvalidParameterException', message: `groups must be drawn from: ${knownGroups.join(', ')}` },
      ];
    }
    return [200, this.issuer.issue(username, groups as string[], known?.email)];
  }
}

/** A string field of the request, or an empty one: the user pool names what is missing, as Cognito would. */
function text(request: Record<string, unknown>, name: string): string {
  const value = request[name];
  return typeof value === 'string' ? value : '';
}

/** Cognito's error name and message, whether it came through the SDK or straight from the directory. */
function cognitoError(error: unknown): { name: string; message: string } | undefined {
  if (error instanceof CognitoIdentityProviderServiceException) return { name: error.name, message: error.message };
  if (error instanceof AwsApiError) return { name: error.type, message: error.message };
  return undefined;
}

function statusOf(errorName: string): number {
  if (errorName === 'NotAuthorizedException' || errorName === 'UserNotConfirmedException') return 401;
  if (errorName === 'UserNotFoundException' || errorName === 'ResourceNotFoundException') return 404;
  if (errorName === 'UsernameExistsException') return 409;
  return 400;
}
