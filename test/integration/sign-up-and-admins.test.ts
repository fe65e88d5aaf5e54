import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AdminChangeEvent } from '../../functions/core/domain/identity';
import { projectRoot } from '../../local/runtime/local-runtime';
import { writeRuntimeFile } from '../../local/runtime/runtime-file';
import { startTestSystem, type TestSystem } from '../helpers/local-system';
import { orderRequest } from '../helpers/fixtures';

const password = 'Sunny-Day-2026!';
let system: TestSystem;
let directory: string;
let runtimeFile: string;

beforeAll(async () => {
  system = await startTestSystem();
  directory = mkdtempSync(join(tmpdir(), 'sign-up-'));
  runtimeFile = join(directory, 'runtime.json');
  // What npm start writes: how `npm run admin` finds this system.
  await writeRuntimeFile(system.runtime, runtimeFile);
});
afterAll(async () => {
  await system?.stop();
  rmSync(directory, { recursive: true, force: true });
});

const local = (path: string, body: unknown) => system.call('POST', path, { body, apiKey: null });
const mailbox = async (username: string) =>
  (await system.call<{ messages: { code: string }[] }>('GET', `/local/mailbox?username=${username}`, { apiKey: null }))
    .body.messages;
const latestCode = async (username: string) => (await mailbox(username)).at(-1)!.code;
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const userState = (username: string) => {
  const user = system.runtime.users.find(username);
  return user && { status: user.status, groups: [...user.groups].sort() };
};

async function admin(...args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'local/commands/admin.ts'), ...args, '--runtime-file', runtimeFile],
      { cwd: projectRoot },
    );
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('customer sign-up offline', () => {
  it('signs up, confirms with the emailed code, signs in with the password and places an order', async () => {
    const signedUp = await local('/local/signup', { username: 'carol', email: 'carol@example.com', password });
    expect(signedUp.status).toBe(200);
    expect(signedUp.body).toMatchObject({ userConfirmed: false, codeDeliveryDetails: { DeliveryMedium: 'EMAIL' } });
    const sub = signedUp.body.userSub as string;

    // Not confirmed yet: no tokens, and not a customer.
    const early = await local('/local/token', { username: 'carol', password });
    expect(early).toMatchObject({ status: 401, body: { error: 'UserNotConfirmedException' } });
    expect(userState('carol')).toEqual({ status: 'UNCONFIRMED', groups: [] });

    const confirmed = await local('/local/confirm', { username: 'carol', code: await latestCode('carol') });
    expect(confirmed).toMatchObject({ status: 200, body: { confirmed: true } });
    // The post-confirmation trigger's handler ran and called back into the user pool.
    expect(userState('carol')).toEqual({ status: 'CONFIRMED', groups: ['customers'] });

    const wrongPassword = await local('/local/token', { username: 'carol', password: 'Not-her-password-1' });
    expect(wrongPassword).toMatchObject({ status: 401, body: { error: 'NotAuthorizedException' } });
    const byNameAlone = await local('/local/token', { username: 'carol', groups: ['admins'] });
    expect(byNameAlone).toMatchObject({ status: 401, body: { error: 'NotAuthorizedException' } });

    const tokens = await local('/local/token', { username: 'carol', password });
    expect(tokens.status).toBe(200);
    const accessToken = tokens.body.accessToken as string;
    expect(claimsOf(accessToken)).toMatchObject({ sub, username: 'carol', 'cognito:groups': ['customers'] });
    expect(claimsOf(tokens.body.idToken as string)).toMatchObject({ sub, email: 'carol@example.com' });

    const placed = await system.call('POST', '/orders', {
      token: accessToken,
      body: orderRequest({ items: [{ productId: 'prod_espresso_beans', quantity: 1 }], paymentToken: 'pm_card_visa' }),
    });
    expect(placed.status).toBe(202);
    const orderId = placed.body.orderId as string;
    const order = await system.waitForTerminal(orderId, accessToken);
    expect(order.status).toBe('CONFIRMED');
    // The order is the signed-up user's: its customer is their `sub` from the directory.
    const adminToken = (await local('/local/token', { username: 'admin' })).body.accessToken as string;
    const confirmedOrders = await system.call<{ orders: { orderId: string; customerId: string }[] }>(
      'GET',
      '/admin/orders?status=CONFIRMED',
      { token: adminToken },
    );
    expect(confirmedOrders.body.orders.find((entry) => entry.orderId === orderId)?.customerId).toBe(sub);
  });

  it('answers a wrong code, an expired code, a weak password and a taken username with 4xx, changing nothing', async () => {
    const weak = await local('/local/signup', { username: 'dan', email: 'dan@example.com', password: 'password' });
    expect(weak).toMatchObject({ status: 400, body: { error: 'InvalidPasswordException' } });
    expect(userState('dan')).toBeUndefined();
    const noEmail = await local('/local/signup', { username: 'dan', password });
    expect(noEmail).toMatchObject({ status: 400, body: { error: 'InvalidParameterException' } });
    expect(userState('dan')).toBeUndefined();

    const before = await system.snapshot();
    expect((await local('/local/signup', { username: 'dan', email: 'dan@example.com', password })).status).toBe(200);
    const code = await latestCode('dan');
    const taken = await local('/local/signup', { username: 'dan', email: 'other@example.com', password });
    expect(taken).toMatchObject({ status: 409, body: { error: 'UsernameExistsException' } });
    const seededName = await local('/local/signup', { username: 'alice', email: 'a2@example.com', password });
    expect(seededName).toMatchObject({ status: 409, body: { error: 'UsernameExistsException' } });

    const wrong = await local('/local/confirm', { username: 'dan', code: code === '000000' ? '111111' : '000000' });
    expect(wrong).toMatchObject({ status: 400, body: { error: 'CodeMismatchException' } });
    expect(userState('dan')).toEqual({ status: 'UNCONFIRMED', groups: [] });
    const unknown = await local('/local/confirm', { username: 'nobody', code });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'UserNotFoundException' } });

    // A code that outlived its lifetime (shortened here from Cognito's 24 hours).
    const users = system.runtime.users;
    users.codeLifetimeMs = 1;
    try {
      expect((await local('/local/resend-code', { username: 'dan' })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 10));
      const expired = await local('/local/confirm', { username: 'dan', code: await latestCode('dan') });
      expect(expired).toMatchObject({ status: 400, body: { error: 'ExpiredCodeException' } });
    } finally {
      users.codeLifetimeMs = 24 * 60 * 60 * 1000;
    }
    expect(userState('dan')).toEqual({ status: 'UNCONFIRMED', groups: [] });
    expect((await local('/local/token', { username: 'dan', password })).status).toBe(401);
    // Nothing reached the table or the bus.
    const after = await system.snapshot();
    expect(after.items).toEqual(before.items);
    expect(after.eventCount).toBe(before.eventCount);
  });

  it('keeps the dev users signing in by name alone', async () => {
    const alice = await local('/local/token', { username: 'alice' });
    expect(alice.status).toBe(200);
    expect(claimsOf(alice.body.accessToken as string)).toMatchObject({ 'cognito:groups': ['customers'] });
  });
});

describe('npm run admin', () => {
  const adminEvents = async () =>
    (
      await system.call<{ events: { source: string; detailType: string; detail: AdminChangeEvent }[] }>(
        'GET',
        '/local/events',
        { apiKey: null },
      )
    ).body.events.filter((event) => event.source === 'identity');
  const bobToken = async () => (await local('/local/token', { username: 'bob' })).body.accessToken as string;

  it('grants admins to bob for his next token, is harmless twice, revokes it, and audits every change', async () => {
    expect((await system.call('GET', '/admin/orders?status=CONFIRMED', { token: await bobToken() })).status).toBe(403);

    const granted = await admin('grant', 'bob');
    expect(granted).toMatchObject({ code: 0, stdout: expect.stringContaining('bob is now in admins') });
    const token = await bobToken();
    expect(claimsOf(token)['cognito:groups']).toEqual(['admins', 'customers']);
    expect((await system.call('GET', '/admin/orders?status=CONFIRMED', { token })).status).toBe(200);

    const listed = await system.call<{ users: { username: string; groups: string[] }[] }>('GET', '/local/users', {
      apiKey: null,
    });
    expect(listed.body.users.find((user) => user.username === 'bob')?.groups).toEqual(['admins', 'customers']);

    const again = await admin('grant', 'bob');
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining('(no change)') });

    expect((await admin('revoke', 'bob')).code).toBe(0);
    expect(claimsOf(await bobToken())['cognito:groups']).toEqual(['customers']);
    expect((await system.call('GET', '/admin/orders?status=CONFIRMED', { token: await bobToken() })).status).toBe(403);

    const events = await adminEvents();
    expect(events.map((event) => [event.detailType, event.detail.data.changed])).toEqual([
      ['identity.admin-granted', true],
      ['identity.admin-granted', false],
      ['identity.admin-revoked', true],
    ]);
    expect(events[0]!.detail).toMatchObject({
      type: 'identity.admin-granted',
      occurredAt: expect.any(String),
      data: { username: 'bob', group: 'admins', actor: expect.stringMatching(/^local:/), sub: expect.any(String) },
    });
  });

  it('refuses an unknown user with exit status 1 and publishes nothing', async () => {
    const before = (await adminEvents()).length;
    const refused = await admin('grant', 'mallory');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('admin refused: no user mallory');
    expect((await adminEvents()).length).toBe(before);
    expect((await admin('promote', 'bob')).code).toBe(2);
  });
});
