import { randomInt, randomUUID, scryptSync, timingSafeEqual, randomBytes } from 'node:crypto';
import { passwordPolicyViolations } from '../../functions/core/domain/identity';
import { AwsApiError, type AwsOperation } from './aws-services';
import { lambdaContext, type LambdaHandler } from './lambda-context';

/**
 * A local Cognito user pool speaking the Cognito Identity Provider JSON protocol (`X-Amz-Target:
 * AWSCognitoIdentityProviderService.<Operation>`), so the official SDK client runs unchanged against it through
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER. It holds the users in memory (signed-up users last as long as the
 * process; the dev users are seeded at every start) and, like Cognito, invokes the post-confirmation trigger's
 * handler module when a sign-up is confirmed.
 *
 * Operations are plain handlers in a map keyed by operation name (`userOperations` below); other files add theirs
 * (app clients, for instance) with `cognitoTargets(...)` and `LocalAwsEmulator.serve`, sharing the directory.
 */
export const cognitoTargetPrefix = 'AWSCognitoIdentityProviderService.';

/** Operation handlers by Cognito operation name (`SignUp`, `AdminGetUser`, …). */
export type CognitoOperations = Readonly<Record<string, AwsOperation>>;

/** The map `LocalAwsEmulator.serve` takes: each operation under its X-Amz-Target. */
export function cognitoTargets(operations: CognitoOperations): Record<string, AwsOperation> {
  return Object.fromEntries(Object.entries(operations).map(([name, run]) => [`${cognitoTargetPrefix}${name}`, run]));
}

export type UserStatus = 'UNCONFIRMED' | 'CONFIRMED';

export interface LocalUser {
  readonly username: string;
  readonly sub: string;
  readonly email: string;
  /** scrypt `salt:hash` (hex); undefined for the seeded dev users, who sign in by name alone. */
  passwordHash?: string;
  status: UserStatus;
  enabled: boolean;
  readonly groups: Set<string>;
  /** The MFA methods set up and enabled (Cognito's UserMFASettingList), e.g. SOFTWARE_TOKEN_MFA. */
  readonly mfa: Set<string>;
  confirmation?: { readonly code: string; readonly expiresAt: number };
  readonly createdAt: Date;
  modifiedAt: Date;
}

/** A confirmation code "sent" by email: what a developer reads at GET /local/mailbox. */
export interface DeliveredCode {
  readonly username: string;
  readonly email: string;
  readonly code: string;
  readonly sentAt: string;
}

export interface AppClientPolicy {
  /** Whether SignUp may be called with this client (a public client of the customers' app). */
  readonly allowSignUp: boolean;
}

export interface LocalUserPoolOptions {
  readonly region: string;
  readonly userPoolId: string;
  /** The groups of the pool (CDK creates them: stacks/constructs/user-directory.ts). */
  readonly groups: readonly string[];
  /** The app clients, by client id. More can be registered later (`clients` is public). */
  readonly clients: Readonly<Record<string, AppClientPolicy>>;
  /** Cognito's confirmation codes are valid for 24 hours. */
  readonly codeLifetimeMs?: number;
  /** The post-confirmation trigger's handler module, invoked as Cognito invokes the trigger's Lambda function. */
  readonly postConfirmation?: LambdaHandler;
  /** Called for each confirmation code "emailed" (the local runtime prints it, like a mail catcher). */
  readonly onCodeSent?: (delivery: DeliveredCode) => void;
  readonly now?: () => number;
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The user directory behind the emulated operations. Its methods throw AwsApiError with Cognito's `__type` names
 * and messages, which the emulator answers as 400s the SDK turns into the same exception classes as in AWS.
 */
export class LocalUserPool {
  readonly region: string;
  readonly userPoolId: string;
  readonly clients = new Map<string, AppClientPolicy>();
  private readonly users = new Map<string, LocalUser>();
  private readonly groupNames: ReadonlySet<string>;
  private readonly delivered: DeliveredCode[] = [];
  private readonly now: () => number;
  /** How long a code sent from now on stays valid (24 hours, as in Cognito); tests shorten it to see codes expire. */
  codeLifetimeMs: number;

  constructor(private readonly options: LocalUserPoolOptions) {
    this.codeLifetimeMs = options.codeLifetimeMs ?? dayMs;
    this.region = options.region;
    this.userPoolId = options.userPoolId;
    this.groupNames = new Set(options.groups);
    for (const [clientId, policy] of Object.entries(options.clients)) this.clients.set(clientId, policy);
    this.now = options.now ?? Date.now;
  }

  /** Adds a confirmed user without a password (the dev users, who get tokens by name). Idempotent. */
  seed(user: { readonly username: string; readonly sub: string; readonly email: string; groups: readonly string[] }) {
    if (this.users.has(user.username)) return;
    const at = new Date(this.now());
    this.users.set(user.username, {
      username: user.username,
      sub: user.sub,
      email: user.email,
      status: 'CONFIRMED',
      enabled: true,
      groups: new Set(user.groups),
      mfa: new Set(),
      createdAt: at,
      modifiedAt: at,
    });
  }

  /** A user by username or, as Cognito's admin APIs accept in a pool with the email alias, by email. */
  find(usernameOrEmail: string): LocalUser | undefined {
    return this.users.get(usernameOrEmail) ?? [...this.users.values()].find((user) => user.email === usernameOrEmail);
  }

  /** The codes "emailed" so far, newest last (optionally for one user). */
  mailbox(username?: string): DeliveredCode[] {
    return this.delivered.filter((delivery) => username === undefined || delivery.username === username);
  }

  /**
   * Checks a password sign-in, with the errors Cognito's InitiateAuth gives: a wrong password and an unknown user
   * are the same NotAuthorizedException (no user enumeration), an unconfirmed user is UserNotConfirmedException.
   */
  authenticate(username: string, password: string): LocalUser {
    const user = this.find(username);
    if (!user?.passwordHash || !user.enabled || !verifyPassword(password, user.passwordHash)) {
      throw new AwsApiError('NotAuthorizedException', 'Incorrect username or password.');
    }
    if (user.status !== 'CONFIRMED') throw new AwsApiError('UserNotConfirmedException', 'User is not confirmed.');
    return user;
  }

  /** The user operations, by Cognito operation name; serve them with `aws.serve(cognitoTargets(...))`. */
  userOperations(): CognitoOperations {
    return {
      SignUp: (body) => this.signUp(body),
      ConfirmSignUp: (body) => this.confirmSignUp(body),
      ResendConfirmationCode: (body) => this.resendConfirmationCode(body),
      AdminGetUser: (body) => this.adminGetUser(body),
      AdminAddUserToGroup: (body) => this.changeGroup(body, 'add'),
      AdminRemoveUserFromGroup: (body) => this.changeGroup(body, 'remove'),
      AdminListGroupsForUser: (body) => this.adminListGroupsForUser(body),
      ListUsersInGroup: (body) => this.listUsersInGroup(body),
      AdminSetUserMFAPreference: (body) => this.adminSetUserMfaPreference(body),
    };
  }

  /** The client a request names, which must exist (as every client-side operation checks). */
  client(body: Record<string, unknown>): AppClientPolicy {
    const clientId = String(body.ClientId ?? '');
    const client = this.clients.get(clientId);
    if (!client) throw new AwsApiError('ResourceNotFoundException', `User pool client ${clientId} does not exist.`);
    return client;
  }

  /** Checks the pool id of an admin operation. */
  pool(body: Record<string, unknown>): void {
    if (body.UserPoolId !== this.userPoolId) {
      throw new AwsApiError('ResourceNotFoundException', `User pool ${String(body.UserPoolId)} does not exist.`);
    }
  }

  private signUp(body: Record<string, unknown>) {
    if (!this.client(body).allowSignUp) {
      throw new AwsApiError('NotAuthorizedException', 'SignUp is not permitted for this user pool');
    }
    const username = requiredString(body, 'Username');
    const password = requiredString(body, 'Password');
    if (username.length > 128 || /\s/.test(username)) {
      throw new AwsApiError(
        'InvalidParameterException',
        "1 validation error detected: Value at 'username' failed to satisfy constraint",
      );
    }
    const attributes = attributeMap(body.UserAttributes);
    const email = attributes.email;
    if (!email) {
      throw new AwsApiError(
        'InvalidParameterException',
        'Attributes did not conform to the schema: email: The attribute is required',
      );
    }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new AwsApiError('InvalidParameterException', 'Invalid email address format.');
    }
    const violations = passwordPolicyViolations(password);
    if (violations.length > 0) {
      throw new AwsApiError('InvalidPasswordException', `Password did not conform with policy: ${violations[0]}`);
    }
    if (this.users.has(username)) throw new AwsApiError('UsernameExistsException', 'User already exists');
    if (this.find(email))
      throw new AwsApiError('UsernameExistsException', 'An account with the given email already exists.');
    const at = new Date(this.now());
    const user: LocalUser = {
      username,
      sub: randomUUID(),
      email,
      passwordHash: hashPassword(password),
      status: 'UNCONFIRMED',
      enabled: true,
      groups: new Set(),
      mfa: new Set(),
      createdAt: at,
      modifiedAt: at,
    };
    this.users.set(username, user);
    return { UserConfirmed: false, UserSub: user.sub, CodeDeliveryDetails: this.sendCode(user) };
  }

  private async confirmSignUp(body: Record<string, unknown>) {
    const clientId = String(body.ClientId ?? '');
    this.client(body);
    const user = this.requireUser(requiredString(body, 'Username'));
    const code = requiredString(body, 'ConfirmationCode');
    if (user.status === 'CONFIRMED') {
      throw new AwsApiError('NotAuthorizedException', 'User cannot be confirmed. Current status is CONFIRMED');
    }
    if (!user.confirmation || user.confirmation.code !== code) {
      throw new AwsApiError('CodeMismatchException', 'Invalid verification code provided, please try again.');
    }
    if (user.confirmation.expiresAt <= this.now()) {
      throw new AwsApiError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
    }
    user.status = 'CONFIRMED';
    user.confirmation = undefined;
    user.modifiedAt = new Date(this.now());
    await this.runPostConfirmation(user, clientId);
    return {};
  }

  /**
   * Cognito invokes the trigger synchronously after confirming: a failing trigger fails the call (the user stays
   * confirmed), as in AWS.
   */
  private async runPostConfirmation(user: LocalUser, clientId: string) {
    if (!this.options.postConfirmation) return;
    const event = {
      version: '1',
      region: this.region,
      userPoolId: this.userPoolId,
      userName: user.username,
      callerContext: { awsSdkVersion: 'aws-sdk-js-3', clientId },
      triggerSource: 'PostConfirmation_ConfirmSignUp',
      request: {
        userAttributes: {
          sub: user.sub,
          email: user.email,
          email_verified: 'true',
          'cognito:user_status': 'CONFIRMED',
        },
      },
      response: {},
    };
    try {
      await this.options.postConfirmation(event, lambdaContext('post-confirmation'));
    } catch (error) {
      throw new AwsApiError('UserLambdaValidationException', `PostConfirmation failed with error ${String(error)}.`);
    }
  }

  private resendConfirmationCode(body: Record<string, unknown>) {
    this.client(body);
    const user = this.requireUser(requiredString(body, 'Username'));
    if (user.status === 'CONFIRMED') throw new AwsApiError('InvalidParameterException', 'User is already confirmed.');
    return { CodeDeliveryDetails: this.sendCode(user) };
  }

  private adminGetUser(body: Record<string, unknown>) {
    this.pool(body);
    const user = this.requireUser(requiredString(body, 'Username'));
    const mfa = [...user.mfa];
    return {
      Username: user.username,
      UserAttributes: attributesOf(user),
      UserCreateDate: seconds(user.createdAt),
      UserLastModifiedDate: seconds(user.modifiedAt),
      Enabled: user.enabled,
      UserStatus: user.status,
      ...(mfa.length > 0 ? { UserMFASettingList: mfa, PreferredMfaSetting: mfa[0] } : {}),
    };
  }

  private changeGroup(body: Record<string, unknown>, change: 'add' | 'remove') {
    this.pool(body);
    const user = this.requireUser(requiredString(body, 'Username'));
    const group = this.requireGroup(requiredString(body, 'GroupName'));
    // Both are idempotent in Cognito: adding a member or removing a non-member succeeds and changes nothing.
    if (change === 'add') user.groups.add(group);
    else user.groups.delete(group);
    user.modifiedAt = new Date(this.now());
    return {};
  }

  private adminListGroupsForUser(body: Record<string, unknown>) {
    this.pool(body);
    const user = this.requireUser(requiredString(body, 'Username'));
    return { Groups: [...user.groups].sort().map((group) => this.groupOf(group)) };
  }

  private listUsersInGroup(body: Record<string, unknown>) {
    this.pool(body);
    const group = this.requireGroup(requiredString(body, 'GroupName'));
    const members = [...this.users.values()].filter((user) => user.groups.has(group));
    return {
      Users: members.map((user) => ({
        Username: user.username,
        Attributes: attributesOf(user),
        UserCreateDate: seconds(user.createdAt),
        UserLastModifiedDate: seconds(user.modifiedAt),
        Enabled: user.enabled,
        UserStatus: user.status,
      })),
    };
  }

  /** Only the TOTP setting (the pool offers no SMS): enough for a developer to try the admins' MFA rule offline. */
  private adminSetUserMfaPreference(body: Record<string, unknown>) {
    this.pool(body);
    const user = this.requireUser(requiredString(body, 'Username'));
    const totp = body.SoftwareTokenMfaSettings as { Enabled?: unknown } | undefined;
    if (totp?.Enabled === true) user.mfa.add('SOFTWARE_TOKEN_MFA');
    if (totp?.Enabled === false) user.mfa.delete('SOFTWARE_TOKEN_MFA');
    return {};
  }

  private groupOf(group: string) {
    return { GroupName: group, UserPoolId: this.userPoolId };
  }

  private requireUser(username: string): LocalUser {
    const user = this.find(username);
    if (!user) throw new AwsApiError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  private requireGroup(group: string): string {
    if (!this.groupNames.has(group)) throw new AwsApiError('ResourceNotFoundException', 'Group not found.');
    return group;
  }

  private sendCode(user: LocalUser) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    user.confirmation = { code, expiresAt: this.now() + this.codeLifetimeMs };
    const delivery = { username: user.username, email: user.email, code, sentAt: new Date(this.now()).toISOString() };
    this.delivered.push(delivery);
    this.options.onCodeSent?.(delivery);
    return { Destination: maskEmail(user.email), DeliveryMedium: 'EMAIL', AttributeName: 'email' };
  }
}

function requiredString(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsApiError('InvalidParameterException', `Missing required parameter ${name}`);
  }
  return value;
}

function attributeMap(raw: unknown): Record<string, string> {
  if (!Array.isArray(raw)) return {};
  const entries = (raw as { Name?: unknown; Value?: unknown }[])
    .filter((entry) => typeof entry.Name === 'string' && typeof entry.Value === 'string')
    .map((entry) => [entry.Name as string, entry.Value as string]);
  return Object.fromEntries(entries) as Record<string, string>;
}

function attributesOf(user: LocalUser) {
  return [
    { Name: 'sub', Value: user.sub },
    { Name: 'email', Value: user.email },
    { Name: 'email_verified', Value: String(user.status === 'CONFIRMED') },
  ];
}

/** Cognito shows where the code went without the address: `a***@e***`. */
function maskEmail(email: string): string {
  const [local = '', domain = ''] = email.split('@');
  return `${local.slice(0, 1)}***@${domain.slice(0, 1)}***`;
}

function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `${salt.toString('hex')}:${scryptSync(password, salt, 32).toString('hex')}`;
}

function verifyPassword(password: string, stored: string): boolean {
  const [salt = '', hash = ''] = stored.split(':');
  const expected = Buffer.from(hash, 'hex');
  const actual = scryptSync(password, Buffer.from(salt, 'hex'), expected.length);
  return timingSafeEqual(actual, expected);
}

function seconds(date: Date): number {
  return date.getTime() / 1000;
}
