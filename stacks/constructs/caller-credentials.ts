import type { RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { planId } from './construct-ids';

/** A client app's API key and the usage plan it belongs to. */
export interface ClientAppKey {
  readonly key: apigateway.ApiKey;
  readonly plan: string;
}

/**
 * One API key per client app in `config.api.clientApps` (the storefront, the mobile app): a key identifies an app for
 * its usage plan's throttle and quota, so a key copied out of a browser drains only that app's quota, and can be
 * replaced without touching the others. Keys are not credentials (Cognito is). Partners' keys are made by
 * `npm run partner -- create`, never here. They live in the data stack rather than with the API because they are
 * handed out: a redeploy of the service stack must not change them. API Gateway generates each value, so no key is
 * ever written into a template.
 */
export function createApiKeys(
  scope: Construct,
  envName: string,
  config: EnvironmentConfig,
  removalPolicy: RemovalPolicy,
): Map<string, ClientAppKey> {
  return new Map(
    Object.entries(config.api.clientApps).map(([appName, app]) => {
      const key = new apigateway.ApiKey(scope, `ApiKey${planId(appName)}`, {
        apiKeyName: `orders-${envName}-${appName}`,
        description: `Orders API (${envName}), ${appName}: ${app.description} (usage plan ${app.plan})`,
        enabled: true,
      });
      key.applyRemovalPolicy(removalPolicy);
      return [appName, { key, plan: app.plan }] as const;
    }),
  );
}

/**
 * The payment provider's API key. Lives in the data stack rather than with the functions: its value is set by
 * operators after the first deploy and must survive a redeploy of the service stack.
 */
export function createPaymentApiKey(
  scope: Construct,
  config: EnvironmentConfig,
  removalPolicy: RemovalPolicy,
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'PaymentApiKey', {
    secretName: config.payment.apiKeySecretName,
    // A replica in each standby region, under the same name, encrypted with that region's aws/secretsmanager key.
    replicaRegions: config.replicaRegions.map((region) => ({ region })),
    description:
      `Stripe secret key (sk_test_... outside prod, sk_live_... or a restricted rk_live_... in prod) for ` +
      `${config.payment.apiUrl}. Created with a random placeholder that Stripe rejects; operators set the real key ` +
      'with `aws secretsmanager put-secret-value` after the first deploy (README, "Payments with Stripe").',
    generateSecretString: { passwordLength: 32, excludePunctuation: true },
    removalPolicy,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The key is issued by Stripe; it cannot be rotated by a Secrets Manager rotation function and is rolled by ' +
      'operators in the Stripe dashboard (runbook). Functions cache it for five minutes and re-read it at once when ' +
      'Stripe refuses it.',
  });
  return secret;
}

/**
 * The signing secret of the Stripe webhook endpoint (`whsec_…`). Like the API key: operator-set after the first
 * deploy (copied from the endpoint registered in the Stripe dashboard), kept in the data stack so it survives
 * redeploys of the service stack.
 */
export function createPaymentWebhookSecret(
  scope: Construct,
  config: EnvironmentConfig,
  removalPolicy: RemovalPolicy,
): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'PaymentWebhookSecret', {
    secretName: config.payment.webhookSecretName,
    // A replica in each standby region, under the same name, encrypted with that region's aws/secretsmanager key.
    replicaRegions: config.replicaRegions.map((region) => ({ region })),
    description:
      'Signing secret (whsec_...) of the Stripe webhook endpoint <api>/webhooks/stripe. Created with a random ' +
      'placeholder that verifies nothing; operators set the real one with `aws secretsmanager put-secret-value` ' +
      'after registering the endpoint (README, "Payments with Stripe").',
    generateSecretString: { passwordLength: 32, excludePunctuation: true },
    removalPolicy,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The signing secret is issued by Stripe and rolled in the Stripe dashboard (runbook); functions cache it for ' +
      'five minutes and re-read it at once when a signature does not verify with the cached one.',
  });
  return secret;
}
