import { Duration, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../bin/environment-config';
import type { Group, PartnerScope } from '../../functions/api/routes';
import { passwordPolicy } from '../../functions/core/domain/identity';
import { dataRemovalPolicy } from '../retention';
import { OrderFunction } from './order-function';

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
  /** Adds each confirmed sign-up to `customers`. */
  readonly postConfirmation: OrderFunction;
  /** Refuses tokens to admins without TOTP MFA; only where admins must use MFA (prod). */
  readonly adminMfaCheck?: OrderFunction;

  constructor(scope: Construct, props: UserDirectoryProps) {
    const { config, envName } = props;
    this.userPool = new cognito.UserPool(scope, 'Users', {
      userPoolName: `orders-${envName}`,
      // Customers sign up themselves (the customer client's SignUp); the post-confirmation trigger below makes
      // them customers once they prove their email with the code Cognito sends.
      selfSignUpEnabled: true,
      userVerification: {
        emailStyle: cognito.VerificationEmailStyle.CODE,
        emailSubject: 'Your orders account: confirmation code',
        emailBody: 'Your confirmation code is {####}. It is valid for 24 hours.',
      },
      signInAliases: { email: true },
      autoVerify: { email: true },
      keepOriginal: { email: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      // The same policy the local user-pool emulator enforces (functions/core/domain/identity.ts).
      passwordPolicy: {
        minLength: passwordPolicy.minLength,
        requireLowercase: passwordPolicy.requireLowercase,
        requireUppercase: passwordPolicy.requireUppercase,
        requireDigits: passwordPolicy.requireDigits,
        requireSymbols: passwordPolicy.requireSymbols,
        tempPasswordValidity: Duration.days(passwordPolicy.tempPasswordValidityDays),
      },
      // Optional for everyone in the pool: a pool-wide REQUIRED would force TOTP on every shopper. Admins' MFA is
      // enforced where required by the pre-token-generation trigger (adminMfaRequired below).
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      // Threat protection (formerly advanced security) needs the Plus plan: it blocks compromised credentials and
      // challenges risky sign-ins.
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: config.retainData,
      removalPolicy: dataRemovalPolicy(config),
    });
    const adminMfaRequired = envName === 'prod';
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA is optional in the pool so customers can sign up and shop without an authenticator app; ' +
        (adminMfaRequired
          ? 'admins must use TOTP here: the pre-token-generation trigger refuses tokens to an admins member without it, '
          : 'outside prod admins may sign in without TOTP so tests and developers can use SRP alone, ') +
        'and every environment runs Plus-plan threat protection in enforced mode.',
    });
    this.postConfirmation = this.addTrigger(scope, props, {
      id: 'TriggerPostConfirmation',
      handlerModule: 'functions/triggers/post-confirmation.ts',
      operation: cognito.UserPoolOperation.POST_CONFIRMATION,
      actions: ['cognito-idp:AdminAddUserToGroup'],
    });
    if (adminMfaRequired) {
      this.adminMfaCheck = this.addTrigger(scope, props, {
        id: 'TriggerPreTokenGeneration',
        handlerModule: 'functions/triggers/pre-token-generation.ts',
        operation: cognito.UserPoolOperation.PRE_TOKEN_GENERATION,
        actions: ['cognito-idp:AdminGetUser'],
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
   * A Lambda trigger of the pool, invoked through its `live` alias, allowed `actions` on this pool only. The grant is
   * a Policy of its own rather than a statement in the role's default policy: the pool depends on the function (its
   * LambdaConfig) and the function on its role with that default policy, so naming the pool's ARN there would close
   * a cycle. This Policy depends on the pool and the role, and nothing depends on it.
   */
  private addTrigger(
    scope: Construct,
    props: UserDirectoryProps,
    trigger: { id: string; handlerModule: string; operation: cognito.UserPoolOperation; actions: string[] },
  ): OrderFunction {
    const fn = new OrderFunction(scope, trigger.id, {
      handlerModule: trigger.handlerModule,
      config: props.config,
      serviceName: 'orders-identity',
      description: `Cognito ${trigger.operation.operationName} trigger of orders-${props.envName}`,
      // Cognito waits at most 5 seconds for a trigger.
      timeout: Duration.seconds(5),
      memorySize: 256,
    });
    this.userPool.addTrigger(trigger.operation, fn.alias);
    new iam.Policy(scope, `${trigger.id}UserPoolAccess`, {
      roles: [fn.role],
      statements: [new iam.PolicyStatement({ actions: trigger.actions, resources: [this.userPool.userPoolArn] })],
    });
    return fn;
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
