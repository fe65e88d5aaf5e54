import type { RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import { planId } from './construct-ids';

/**
 * API keys identify a caller for its usage plan's throttle and quota; they are not credentials (Cognito is). They
 * live in the data stack rather than with the API because they are handed out: a redeploy of the service stack must
 * not change them. API Gateway generates each value, so no key is ever written into a template.
 */
export function createApiKeys(
  scope: Construct,
  envName: string,
  config: EnvironmentConfig,
  removalPolicy: RemovalPolicy,
): Map<string, apigateway.ApiKey> {
  return new Map(
    Object.entries(config.api.usagePlans).map(([planName, plan]) => {
      const key = new apigateway.ApiKey(scope, `ApiKey${planId(planName)}`, {
        apiKeyName: `orders-${envName}-${planName}`,
        description: `Orders API (${envName}), usage plan ${planName}: ${plan.description}`,
        enabled: true,
      });
      key.applyRemovalPolicy(removalPolicy);
      return [planName, key] as const;
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
    description:
      `Payment provider API key for ${config.payment.apiUrl}. Created with a random placeholder that the ` +
      'provider rejects; operators set the real key with `aws secretsmanager put-secret-value` after the first deploy.',
    generateSecretString: { passwordLength: 32, excludePunctuation: true },
    removalPolicy,
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The key is issued by the payment provider; it cannot be rotated by a Secrets Manager rotation function ' +
      'and is rotated by operators together with the provider (runbook). Functions cache it for five minutes only.',
  });
  return secret;
}
