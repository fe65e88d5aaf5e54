import { LocalTokenIssuer, issuer, localUserPool, userSub } from '../../local/emulators/token-issuer';

describe('local token issuer', () => {
  const tokens = new LocalTokenIssuer();

  it('mints Cognito-shaped ID and access tokens that aws-jwt-verify accepts', async () => {
    const { idToken, accessToken } = tokens.issue('alice', ['customers']);
    const id = await tokens.verifier.verify(idToken);
    expect(id).toMatchObject({
      iss: issuer,
      aud: localUserPool.clientId,
      token_use: 'id',
      sub: userSub('alice'),
      'cognito:groups': ['customers'],
      'cognito:username': 'alice',
    });
    const access = await tokens.verifier.verify(accessToken);
    expect(access).toMatchObject({ token_use: 'access', client_id: localUserPool.clientId, username: 'alice' });
  });

  it('rejects a token whose payload was altered', async () => {
    const [header, payload, signature] = tokens.issue('alice', ['customers']).idToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, 'cognito:groups': ['admins'] })).toString('base64url');
    await expect(tokens.verifier.verify(`${header}.${forged}.${signature}`)).rejects.toThrow();
  });

  it('rejects tokens of another issuer instance (other keys), without fetching any JWKS', async () => {
    const other = new LocalTokenIssuer();
    await expect(tokens.verifier.verify(other.issue('alice', ['customers']).idToken)).rejects.toThrow();
  });

  it('gives each username a stable UUID-shaped subject', () => {
    expect(userSub('alice')).toBe(userSub('alice'));
    expect(userSub('alice')).not.toBe(userSub('bob'));
    expect(userSub('alice')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
