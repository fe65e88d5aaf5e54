import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../bin/environment-config';
import type { Group, PartnerScope } from '../functions/api/routes';
import { idempotencyTableDesign, ordersTableDesign } from '../functions/core/data/table-design';
import { backupVaultArn, TableBackups } from './constructs/table-backups';
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

/** The resource server whose scopes partner clients hold; its identifier prefixes every scope (`orders/read`). */
export const resourceServerIdentifier = 'orders';

// Every partner scope the route table can name, so a new one there does not compile until the resource server has it.
const partnerScopeDescriptions: Record<PartnerScope, string> = {
  'orders/read': "Read the orders the partner's client placed",
  'orders/write': 'Place and cancel orders as the partner',
};

/** `customer-app` -> `CustomerApp`: construct and output ids for a usage plan. */
export function planId(planName: string): string {
  return planName.replace(/(^|-)([a-z0-9])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
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
  readonly partnerClient: cognito.UserPoolClient;
  readonly userPoolDomain: cognito.UserPoolDomain;
  readonly idempotencyTable: dynamodb.TableV2;
  /** One API key per usage plan of the environment, by plan name; the service stack adds each to its plan. */
  readonly apiKeys: ReadonlyMap<string, apigateway.ApiKey>;
  readonly paymentApiKey: secretsmanager.Secret;
  /** Only where the environment configures `backup`. */
  readonly backups?: TableBackups;

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

    // Which keys are hot or throttled, per table and index: costs per request logged, so only where configured.
    const contributorInsightsSpecification = config.contributorInsights ? { enabled: true } : undefined;
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
        contributorInsightsSpecification,
      })),
      timeToLiveAttribute: design.timeToLiveAttribute,
      dynamoStream: design.stream === 'NONE' ? undefined : dynamodb.StreamViewType[design.stream],
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.tableKey, replicaKeyArns),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      contributorInsightsSpecification,
      // Replicas inherit deletion protection, PITR and contributor insights from these table options.
      deletionProtection: config.retainData,
      removalPolicy,
      replicas: config.replicaRegions.map((region) => ({ region })),
    });

    // No replicas, on purpose. This table only keeps each mutating request's response for 24 hours so that a retry
    // gets the same answer; writes are served by the primary region alone, so a replica would never be read while
    // the primary is up, would double the write cost of every mutating request, and its "in progress" locks would
    // give no mutual exclusion across regions anyway (replication is last-writer-wins). What a failover loses is
    // the replay of a retry that straddles it: orders stay safe (an order's id derives from its Idempotency-Key and
    // every transition is conditional), while an admin stock adjustment retried across a failover could apply
    // twice; its stock movement is recorded, so the failover runbook checks them.
    const idempotency = idempotencyTableDesign;
    this.idempotencyTable = new dynamodb.TableV2(this, 'IdempotencyTable', {
      tableName: `orders-${idempotency.logicalName.toLowerCase()}-${envName}`,
      partitionKey: stringKey(idempotency.partitionKey),
      timeToLiveAttribute: idempotency.timeToLiveAttribute,
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.tableKey),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      contributorInsightsSpecification,
      deletionProtection: config.retainData,
      removalPolicy,
    });

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

    // Partner systems call the API as machines: the client-credentials grant at the domain's token endpoint gives
    // them an access token carrying the `orders/...` scopes the route table lists for partners.
    const scopes = Object.entries(partnerScopeDescriptions).map(([scope, scopeDescription]) => {
      const [identifier, scopeName] = scope.split('/');
      if (identifier !== resourceServerIdentifier || !scopeName) {
        throw new Error(`partner scope ${scope} is not on the ${resourceServerIdentifier} resource server`);
      }
      return new cognito.ResourceServerScope({ scopeName, scopeDescription });
    });
    const resourceServer = this.userPool.addResourceServer('OrdersResourceServer', {
      identifier: resourceServerIdentifier,
      userPoolResourceServerName: `orders-${envName}`,
      scopes,
    });
    this.partnerClient = this.userPool.addClient('PartnerClient', {
      userPoolClientName: `orders-${envName}-partners`,
      // A confidential client: the secret stays with the partner's backend (read it from Cognito after deploy).
      generateSecret: true,
      oAuth: {
        flows: { clientCredentials: true },
        scopes: scopes.map((scope) => cognito.OAuthScope.resourceServer(resourceServer, scope)),
      },
      // No user sign-in through this client: only the refresh flow, which Cognito always lists and client
      // credentials never use (the CDK default would also allow SRP and custom auth).
      authFlows: { userSrp: false },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
    });
    // Cognito domain prefixes are unique per region across all accounts: the account id keeps ours from colliding.
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: `orders-${envName}-${this.account}` },
    });

    // API keys identify a caller for its usage plan's throttle and quota; they are not credentials (Cognito is).
    // They live here rather than with the API because they are handed out: a redeploy of the service stack must
    // not change them. API Gateway generates each value, so no key is ever written into a template.
    this.apiKeys = new Map(
      Object.entries(config.api.usagePlans).map(([planName, plan]) => {
        const key = new apigateway.ApiKey(this, `ApiKey${planId(planName)}`, {
          apiKeyName: `orders-${envName}-${planName}`,
          description: `Orders API (${envName}), usage plan ${planName}: ${plan.description}`,
          enabled: true,
        });
        key.applyRemovalPolicy(removalPolicy);
        return [planName, key] as const;
      }),
    );

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
    new CfnOutput(this, 'PartnerClientId', { value: this.partnerClient.userPoolClientId });
    new CfnOutput(this, 'TokenEndpoint', {
      description: 'OAuth 2.0 token endpoint for the client-credentials grant (partner clients)',
      value: `${this.userPoolDomain.baseUrl()}/oauth2/token`,
    });
    new CfnOutput(this, 'IdempotencyTableName', { value: this.idempotencyTable.tableName });
    for (const [planName, key] of this.apiKeys) {
      // The id only: `aws apigateway get-api-key --api-key <id> --include-value` reads the value.
      new CfnOutput(this, `ApiKeyId${planId(planName)}`, {
        description: `API key id of usage plan ${planName}`,
        value: key.keyId,
      });
    }
    new CfnOutput(this, 'PaymentApiKeySecretName', { value: config.payment.apiKeySecretName });
  }
}
