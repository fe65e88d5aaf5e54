import { localApiKeys, devEnvironment } from '../runtime/dev-config';
import { projectRoot } from '../runtime/local-runtime';
import { LocalTokenIssuer, signingKeyFromFile } from '../emulators/token-issuer';

/**
 * Credentials valid in both offline regions, for a drill running in-process: tokens signed with the key file the
 * regions share (as a Cognito token of the primary pool is accepted by a standby that trusts its keys) and the
 * fixed dev API keys every region's runtime issues (`local-<app>-key`, local/runtime/dev-config.ts).
 */
export function regionCredentials(tokenSigningKeyFile: string) {
  const issuer = new LocalTokenIssuer(undefined, { signingKey: signingKeyFromFile(tokenSigningKeyFile) });
  const apiKeys = localApiKeys(devEnvironment(projectRoot));
  return {
    /** The API key of a client app (`storefront` by default). */
    apiKey(app = 'storefront'): string {
      const key = apiKeys.find((candidate) => candidate.owner === app);
      if (!key) throw new Error(`no client app ${app} in cdk.json's dev environment`);
      return key.value;
    },
    /** An access token of a dev user (alice, bob) or any other customer name; its `sub` is the same everywhere. */
    customerToken(username = 'alice'): string {
      return issuer.issue(username, ['customers']).accessToken;
    },
    adminToken(username = 'admin'): string {
      return issuer.issue(username, ['admins']).accessToken;
    },
  };
}
