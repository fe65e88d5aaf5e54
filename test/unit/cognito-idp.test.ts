import {
  AdminAddUserToGroupCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  AdminSetUserMFAPreferenceCommand,
  CodeMismatchException,
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  ExpiredCodeException,
  InvalidParameterException,
  InvalidPasswordException,
  ListUsersInGroupCommand,
  NotAuthorizedException,
  ResendConfirmationCodeCommand,
  ResourceNotFoundException,
  SignUpCommand,
  UsernameExistsException,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerEvent, PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { passwordPolicy, passwordPolicyViolations } from '../../functions/core/domain/identity';
import { confirmSignUp } from '../../functions/triggers/post-confirmation';
import { AdminMfaRequiredError, requireAdminMfa } from '../../functions/triggers/pre-token-generation';
import { LocalAwsEmulator } from '../../local/emulators/aws-services';
import { cognitoTargets, LocalUserPool } from '../../local/emulators/cognito-idp';

const userPoolId = 'us-east-1_UnitPool';
const clientId = 'unitclient';
const password = 'Correct-horse-9';
let aws: LocalAwsEmulator;
let pool: LocalUserPool;
let client: CognitoIdentityProviderClient;
let now: number;
const triggered: PostConfirmationTriggerEvent[] = [];

beforeEach(async () => {
  now = Date.parse('2026-01-01T00:00:00Z');
  triggered.length = 0;
  aws = new LocalAwsEmulator();
  await aws.start(0);
  client = new CognitoIdentityProviderClient({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'unit', secretAccessKey: 'unit' },
  });
  pool = new LocalUserPool({
    region: 'us-east-1',
    userPoolId,
    groups: ['customers', 'admins'],
    clients: { [clientId]: { allowSignUp: true }, noSignUpClient: { allowSignUp: false } },
    now: () => now,
    // The real trigger's logic, its SDK calls coming back to the emulator as they reach Cognito in AWS.
    postConfirmation: async (event) => {
      triggered.push(event as PostConfirmationTriggerEvent);
      return confirmSignUp(client, event as PostConfirmationTriggerEvent);
    },
  });
  aws.serve(cognitoTargets(pool.userOperations()));
});

afterEach(async () => {
  client.destroy();
  await aws.stop();
});

const signUp = (username: string, pass = password, email = `${username}@example.com`) =>
  client.send(
    new SignUpCommand({
      ClientId: clientId,
      Username: username,
      Password: pass,
      UserAttributes: [{ Name: 'email', Value: email }],
    }),
  );
const codeOf = (username: string) => pool.mailbox(username).at(-1)!.code;
const confirm = (username: string, code: string) =>
  client.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: username, ConfirmationCode: code }));
const groupsOf = async (username: string) =>
  (await client.send(new AdminListGroupsForUserCommand({ UserPoolId: userPoolId, Username: username }))).Groups?.map(
    (group) => group.GroupName,
  );

describe('the shared password policy', () => {
  it('is the one the user pool enforces: 12 characters with lower, upper, digit and symbol', () => {
    expect(passwordPolicy.minLength).toBe(12);
    expect(passwordPolicyViolations(password)).toEqual([]);
    expect(passwordPolicyViolations('Short-1a')).toEqual(['Password not long enough']);
    expect(passwordPolicyViolations('correct-horse-9')).toEqual(['Password must have uppercase characters']);
    expect(passwordPolicyViolations('Correct horse 9')).toEqual([]);
    expect(passwordPolicyViolations('Correcthorse99')).toEqual(['Password must have symbol characters']);
  });
});

describe('the user-pool emulator through the official SDK', () => {
  it('signs up, confirms with the emailed code and runs the post-confirmation trigger, which adds to customers', async () => {
    const signedUp = await signUp('carol');
    expect(signedUp.UserConfirmed).toBe(false);
    expect(signedUp.UserSub).toMatch(/^[0-9a-f-]{36}$/);
    expect(signedUp.CodeDeliveryDetails).toEqual({
      Destination: 'c***@e***',
      DeliveryMedium: 'EMAIL',
      AttributeName: 'email',
    });
    expect(codeOf('carol')).toMatch(/^\d{6}$/);
    expect(() => pool.authenticate('carol', password)).toThrow('User is not confirmed.');

    await confirm('carol', codeOf('carol'));

    expect(triggered).toHaveLength(1);
    expect(triggered[0]).toMatchObject({
      triggerSource: 'PostConfirmation_ConfirmSignUp',
      userPoolId,
      userName: 'carol',
      request: { userAttributes: { sub: signedUp.UserSub, email: 'carol@example.com' } },
    });
    expect(await groupsOf('carol')).toEqual(['customers']);
    const user = await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: 'carol' }));
    expect(user.UserStatus).toBe('CONFIRMED');
    expect(user.UserAttributes).toContainEqual({ Name: 'sub', Value: signedUp.UserSub });
    expect(pool.authenticate('carol', password).sub).toBe(signedUp.UserSub);
    expect(() => pool.authenticate('carol', 'Wrong-password-1')).toThrow('Incorrect username or password.');
  });

  it('answers Cognito error types and changes nothing', async () => {
    await expect(signUp('dave', 'weakpassword')).rejects.toBeInstanceOf(InvalidPasswordException);
    await expect(
      client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: 'dave' })),
    ).rejects.toBeInstanceOf(UserNotFoundException);

    await signUp('dave');
    await expect(signUp('dave')).rejects.toBeInstanceOf(UsernameExistsException);
    await expect(signUp('dave2', password, 'dave@example.com')).rejects.toBeInstanceOf(UsernameExistsException);
    await expect(signUp('erin', password, 'not-an-email')).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(
      client.send(new SignUpCommand({ ClientId: 'nosuchclient', Username: 'x', Password: password })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(
        new SignUpCommand({
          ClientId: 'noSignUpClient',
          Username: 'x',
          Password: password,
          UserAttributes: [{ Name: 'email', Value: 'x@example.com' }],
        }),
      ),
    ).rejects.toBeInstanceOf(NotAuthorizedException);

    const code = codeOf('dave');
    const wrong = code === '000000' ? '000001' : '000000';
    await expect(confirm('dave', wrong)).rejects.toBeInstanceOf(CodeMismatchException);
    await expect(confirm('nobody', code)).rejects.toBeInstanceOf(UserNotFoundException);
    now += 24 * 60 * 60 * 1000;
    await expect(confirm('dave', code)).rejects.toBeInstanceOf(ExpiredCodeException);
    expect(triggered).toHaveLength(0);
    expect(await groupsOf('dave')).toEqual([]);

    // A new code works where the expired one did not; then the user cannot be confirmed twice.
    await client.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'dave' }));
    await confirm('dave', codeOf('dave'));
    await expect(confirm('dave', codeOf('dave'))).rejects.toBeInstanceOf(NotAuthorizedException);
    await expect(
      client.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'dave' })),
    ).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('answers on the wire as Cognito does: JSON 1.1, the error type in __type', async () => {
    const response = await fetch(aws.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.SignUp',
      },
      body: JSON.stringify({ ClientId: clientId, Username: 'gina', Password: 'short' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({
      __type: 'InvalidParameterException',
      message: 'Attributes did not conform to the schema: email: The attribute is required',
    });
    expect(pool.find('gina')).toBeUndefined();
  });

  it('manages groups idempotently, lists members and refuses unknown pools and groups', async () => {
    pool.seed({ username: 'bob', sub: 'bob-sub', email: 'bob@example.com', groups: ['customers'] });
    const add = new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: 'bob', GroupName: 'admins' });
    await client.send(add);
    await client.send(add);
    expect(await groupsOf('bob')).toEqual(['admins', 'customers']);
    // The email alias names the same user, as in a pool that signs in by email.
    expect(await groupsOf('bob@example.com')).toEqual(['admins', 'customers']);
    const members = await client.send(new ListUsersInGroupCommand({ UserPoolId: userPoolId, GroupName: 'admins' }));
    expect(members.Users?.map((user) => user.Username)).toEqual(['bob']);
    const remove = new AdminRemoveUserFromGroupCommand({
      UserPoolId: userPoolId,
      Username: 'bob',
      GroupName: 'admins',
    });
    await client.send(remove);
    await client.send(remove);
    expect(await groupsOf('bob')).toEqual(['customers']);

    await expect(
      client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: 'bob', GroupName: 'owners' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(
        new AdminAddUserToGroupCommand({ UserPoolId: 'us-east-1_Other', Username: 'bob', GroupName: 'admins' }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      client.send(new AdminAddUserToGroupCommand({ UserPoolId: userPoolId, Username: 'nobody', GroupName: 'admins' })),
    ).rejects.toBeInstanceOf(UserNotFoundException);
  });
});

describe('the post-confirmation trigger', () => {
  it('ignores every trigger source but a confirmed sign-up', async () => {
    pool.seed({ username: 'frank', sub: 'frank-sub', email: 'frank@example.com', groups: [] });
    const event = {
      version: '1',
      region: 'us-east-1',
      userPoolId,
      userName: 'frank',
      callerContext: { awsSdkVersion: '3', clientId },
      triggerSource: 'PostConfirmation_ConfirmForgotPassword',
      request: { userAttributes: { sub: 'frank-sub' } },
      response: {},
    } as PostConfirmationTriggerEvent;
    await expect(confirmSignUp(client, event)).resolves.toBe(event);
    expect(await groupsOf('frank')).toEqual([]);
  });
});

describe('the pre-token-generation trigger (admins need TOTP MFA)', () => {
  const tokenEvent = (userName: string, groups: string[]) =>
    ({
      version: '1',
      region: 'us-east-1',
      userPoolId,
      userName,
      callerContext: { awsSdkVersion: '3', clientId },
      triggerSource: 'TokenGeneration_Authentication',
      request: { userAttributes: {}, groupConfiguration: { groupsToOverride: groups } },
      response: { claimsOverrideDetails: {} },
    }) as unknown as PreTokenGenerationTriggerEvent;

  it('refuses an admin without TOTP, lets them in once it is enabled, and never asks about customers', async () => {
    pool.seed({ username: 'root', sub: 'root-sub', email: 'root@example.com', groups: ['admins'] });
    await expect(requireAdminMfa(client, tokenEvent('root', ['admins']))).rejects.toBeInstanceOf(AdminMfaRequiredError);
    await client.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: userPoolId,
        Username: 'root',
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
      }),
    );
    const event = tokenEvent('root', ['admins']);
    await expect(requireAdminMfa(client, event)).resolves.toBe(event);
    // A customer is not even looked up: an unknown user would otherwise fail with UserNotFoundException.
    const customer = tokenEvent('ghost', ['customers']);
    await expect(requireAdminMfa(client, customer)).resolves.toBe(customer);
  });
});
