import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import {
  createApiKeys,
  createPaymentApiKey,
  createPaymentWebhookSecret,
  type ClientAppKey,
} from './constructs/caller-credentials';
import { planId } from './constructs/construct-ids';
import { OrderTables } from './constructs/order-tables';
import { backupVaultArn, TableBackups } from './constructs/table-backups';
import { UserDirectory } from './constructs/user-directory';
import { dataRemovalPolicy } from './retention';

export interface DataStackProps extends StackProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
}

/**
 * The stateful half: the orders and idempotency tables, the user pool with its clients, the API keys handed to
 * callers and the payment provider's API key. It changes rarely, is retained (and deletion-protected) where
 * `retainData` is set, and hands its resources to the service stack.
 */
export class DataStack extends Stack {
  readonly table: dynamodb.TableV2;
  readonly tableIndexNames: readonly string[];
  readonly tableKey: kms.Key;
  readonly userPool: cognito.UserPool;
  readonly customerClient: cognito.UserPoolClient;
  readonly userPoolDomain: cognito.UserPoolDomain;
  readonly idempotencyTable: dynamodb.TableV2;
  /** One API key per usage plan of the environment, by plan name; the service stack adds each to its plan. */
  readonly apiKeys: ReadonlyMap<string, ClientAppKey>;
  readonly paymentApiKey: secretsmanager.Secret;
  readonly paymentWebhookSecret: secretsmanager.Secret;
  /** Only where the environment configures `backup`. */
  readonly backups?: TableBackups;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config, envName } = props;
    const removalPolicy = dataRemovalPolicy(config);

    const tables = new OrderTables(this, props);
    this.tableKey = tables.tableKey;
    this.table = tables.table;
    this.tableIndexNames = tables.tableIndexNames;
    this.idempotencyTable = tables.idempotencyTable;
    if (config.backup) {
      const copyRegion = config.replicaRegions[0];
      this.backups = new TableBackups(this, 'Backups', {
        envName,
        tables: [this.table, this.idempotencyTable],
        retentionDays: config.backup.retentionDays,
        // The vault there belongs to that region's replica-key stack, which this stack depends on.
        ...(copyRegion ? { copyVaultArn: backupVaultArn(this, copyRegion, envName) } : {}),
      });
    }

    const users = new UserDirectory(this, props);
    this.userPool = users.userPool;
    this.customerClient = users.customerClient;
    this.userPoolDomain = users.userPoolDomain;

    this.apiKeys = createApiKeys(this, envName, config, removalPolicy);
    this.paymentApiKey = createPaymentApiKey(this, config, removalPolicy);
    this.paymentWebhookSecret = createPaymentWebhookSecret(this, config, removalPolicy);

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.customerClient.userPoolClientId });
    new CfnOutput(this, 'PartnerScopes', {
      description: 'OAuth scopes of the orders resource server that partner app clients are created with',
      value: users.partnerScopes.join(' '),
    });
    new CfnOutput(this, 'TokenEndpoint', {
      description: 'OAuth 2.0 token endpoint for the client-credentials grant (partner clients)',
      value: `${this.userPoolDomain.baseUrl()}/oauth2/token`,
    });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.idempotencyTable.tableName });
    for (const [appName, { key, plan }] of this.apiKeys) {
      // The id only: `aws apigateway get-api-key --api-key <id> --include-value` reads the value.
      new CfnOutput(this, `ApiKeyId${planId(appName)}`, {
        description: `API key id of the ${appName} client app (usage plan ${plan})`,
        value: key.keyId,
      });
    }
    new CfnOutput(this, 'PaymentApiKeySecretName', { value: config.payment.apiKeySecretName });
    new CfnOutput(this, 'PaymentWebhookSecretName', { value: config.payment.webhookSecretName });
  }
}
