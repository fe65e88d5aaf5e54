import { Duration, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import type { Group, PartnerScope } from '../../functions/api/routes';
import { dataRemovalPolicy } from '../retention';

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

export interface UserDirectoryProps {
  readonly envName: string;
  readonly config: EnvironmentConfig;
}

/**
 * The Cognito user pool: its groups, the customers' public client, the resource server of the partners' scopes (each
 * partner's client-credentials client is made by `npm run partner -- create`), and the domain of the token endpoint. Not a construct of its own: the resources
 * are created directly in `scope`, so their logical ids stay those of the data stack's direct children.
 */
export class UserDirectory {
  readonly userPool: cognito.UserPool;
  readonly customerClient: cognito.UserPoolClient;
  /** The scopes partner app clients are created with (`npm run partner -- create`): `orders/read orders/write`. */
  readonly partnerScopes: readonly string[];
  readonly userPoolDomain: cognito.UserPoolDomain;

  constructor(scope: Construct, props: UserDirectoryProps) {
    const { config, envName } = props;
    this.userPool = new cognito.UserPool(scope, 'Users', {
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
      removalPolicy: dataRemovalPolicy(config),
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
      new cognito.UserPoolGroup(scope, `Group-${groupName}`, { userPool: this.userPool, groupName, ...group });
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
    this.partnerScopes = this.createPartnerResourceServer(envName);
    // Cognito domain prefixes are unique per region across all accounts: the account id keeps ours from colliding.
    this.userPoolDomain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: `orders-${envName}-${this.userPool.stack.account}` },
    });
  }

  /**
   * Partner systems call the API as machines: the client-credentials grant at the domain's token endpoint gives them
   * an access token carrying the `orders/...` scopes the route table lists for partners. Each partner gets an app
   * client of its own, made by `npm run partner -- create` (the same CreateUserPoolClient call a console makes), so a
   * partner is told apart by its client and its data is scoped to it; the stack owns only the resource server.
   */
  private createPartnerResourceServer(envName: string): string[] {
    const scopes = Object.entries(partnerScopeDescriptions).map(([scope, scopeDescription]) => {
      const [identifier, scopeName] = scope.split('/');
      if (identifier !== resourceServerIdentifier || !scopeName) {
        throw new Error(`partner scope ${scope} is not on the ${resourceServerIdentifier} resource server`);
      }
      return new cognito.ResourceServerScope({ scopeName, scopeDescription });
    });
    this.userPool.addResourceServer('OrdersResourceServer', {
      identifier: resourceServerIdentifier,
      userPoolResourceServerName: `orders-${envName}`,
      scopes,
    });
    return Object.keys(partnerScopeDescriptions);
  }
}
