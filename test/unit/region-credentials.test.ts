import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTokenIssuer, signingKeyFromFile, userSub } from '../../local/emulators/token-issuer';
import { regionCredentials } from '../../local/regions/credentials';

/** Two regions' token issuers loading one key file accept each other's tokens (a standby trusting the primary's keys). */
let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'region-keys-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

test('issuers sharing a key file verify each other’s tokens; an issuer with its own key does not', async () => {
  const keyFile = join(directory, 'signing-key.pem');
  const east = new LocalTokenIssuer(undefined, { signingKey: signingKeyFromFile(keyFile) });
  const west = new LocalTokenIssuer(undefined, { signingKey: signingKeyFromFile(keyFile) });
  expect(west.jwks).toEqual(east.jwks);
  const { accessToken } = east.issue('alice', ['customers']);
  await expect(west.verifier.verify(accessToken)).resolves.toMatchObject({ sub: userSub('alice') });
  await expect(new LocalTokenIssuer().verifier.verify(accessToken)).rejects.toThrow();
  // The key is private to its owner, and made once: a second load reads the same file.
  expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  expect(await readFile(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
});

test('the drill’s credentials: tokens from the shared key and the fixed dev API key', async () => {
  const keyFile = join(directory, 'drill-key.pem');
  const credentials = regionCredentials(keyFile);
  const region = new LocalTokenIssuer(undefined, { signingKey: signingKeyFromFile(keyFile) });
  await expect(region.verifier.verify(credentials.customerToken('bob'))).resolves.toMatchObject({
    sub: userSub('bob'),
    'cognito:groups': ['customers'],
  });
  await expect(region.verifier.verify(credentials.adminToken())).resolves.toMatchObject({
    'cognito:groups': ['admins'],
  });
  expect(credentials.apiKey()).toBe(process.env.LOCAL_API_KEY_STOREFRONT ?? 'local-storefront-key');
});
