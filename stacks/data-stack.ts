import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import type { Group } from '../functions/api/routes';
import { ordersTableDesign } from '../functions/core/data/table-design';
import { dataRemovalPolicy } from './retention';
import { replicaKeyAliasArn, tableKeyAliasName } from './replica-key-stack';

export interface DataStackProps extends StackProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
}

// Every group the route table can name, so adding a group there without creating it here fails to compile.
const userGroups: Record<Group, { readonly precedence: number; readonly description: string }> = {
  admins: { precedence: 0, description: 'Operators: order administration' },
  customers: { precedence: 10, description: 'Shoppers: place and read their own orders' },
};

/**
 * The stateful half: the orders table, the user pool and the payment provider's API key. It changes rarely, is
 * retained (and deletion-protected) where `retainData` is set, and hands its resources to the service stack.
 */
export class DataStack extends Stack {
  readonly table: dynamodb.TableV2;
  readonly tableIndexNames: readonly string[];
  readonly tableKey: kms.Key;
  readonly userPool: cognito.UserPool;
  readonly customerClient: cognito.UserPoolClient;
  readonly paymentApiKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { config, envName } = props;
    const removalPolicy = dataRemovalPolicy(config);

    this.tableKey = new kms.Key(this, 'TableKey', {
      description: `Orders table (${envName}, primary region)`,
      alias: tableKeyAliasName(envName),
      enableKeyRotation: true,
      pendingWindow: Duration.days(30),
      removalPolicy,
    });

    const design = ordersTableDesign;
    const stringKey = (name: string): dynamodb.Attribute => ({ name, type: dynamodb.AttributeType.STRING });
    this.tableIndexNames = design.globalIndexes.map((index) => index.indexName);
    const replicaKeyArns = Object.fromEntries(
      config.replicaRegions.map((region) => [region, replicaKeyAliasArn(this, region, envName)]),
    );
    this.table = new dynamodb.TableV2(this, 'OrdersTable', {
      tableName: `${design.logicalName.toLowerCase()}-${envName}`,
      partitionKey: stringKey(design.partitionKey),
      sortKey: stringKey(design.sortKey),
      globalSecondaryIndexes: design.globalIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: stringKey(index.partitionKey),
        sortKey: stringKey(index.sortKey),
      })),
      timeToLiveAttribute: design.timeToLiveAttribute,
      dynamoStream: design.stream === 'NONE' ? undefined : dynamodb.StreamViewType[design.stream],
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.tableKey, replicaKeyArns),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Replicas inherit deletion protection and PITR from these table options.
      deletionProtection: config.retainData,
      removalPolicy,
      replicas: config.replicaRegions.map((region) => ({ region })),
    });

    this.userPool = new cognito.UserPool(this, 'Users', {
      userPoolName: `orders-${envName}`,
      // Off until a post-confirmation trigger puts new users into `customers`; until then operators invite users.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      keepOriginal: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: envName === 'prod' ? cognito.Mfa.REQUIRED : cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      // Threat protection (formerly advanced security) needs the Plus plan: it blocks compromised credentials and
      // challenges risky sign-ins.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: config.retainData,
      removalPolicy,
    });
    if (envName !== 'prod') {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is optional outside prod so automated tests and developers can sign in with SRP alone; prod requires ' +
          'TOTP and every environment runs Plus-plan threat protection in enforced mode.',
      });
    }
    for (const [groupName, group] of Object.entries(userGroups)) {
      new cognito.UserPoolGroup(this, `Group-${groupName}`, { userPool: this.userPool, groupName, ...group });
    }
    this.customerClient = this.userPool.addClient('CustomerClient', {
      userPoolClientName: `orders-${envName}-customers`,
      // A public client (browser or mobile app): SRP keeps the password off the wire, refresh tokens are always on.
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    // Lives here rather than with the functions: its value is set by operators after the first deploy and must
    // survive a redeploy of the service stack.
    this.paymentApiKey = new secretsmanager.Secret(this, 'PaymentApiKey', {
      secretName: config.payment.apiKeySecretName,
      description:
        `Payment provider API key for ${config.payment.apiUrl}. Created with a random placeholder that the ` +
        'provider rejects; operators set the real key with `aws secretsmanager put-secret-value` after the first deploy.',
      generateSecretString: { passwordLength: 32, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.paymentApiKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key is issued by the payment provider; it cannot be rotated by a Secrets Manager rotation function ' +
        'and is rotated by operators together with the provider (runbook). Functions cache it for five minutes only.',
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: this.customerClient.userPoolClientId });
    new CfnOutput(this, 'PaymentApiKeySecretName', { value: config.payment.apiKeySecretName });
  }
}
