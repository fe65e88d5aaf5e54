import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { partnerScopes } from '../../functions/api/routes';
import { idempotencyTableDesign, ordersTableDesign } from '../../functions/core/data/table-design';
import { passwordPolicy } from '../../functions/core/domain/identity';
import { planId } from '../../stacks/constructs/construct-ids';
import { describeEachEnvironment, resourcesOfType, synthApp, type SynthesizedApp } from './synth-app';

const keySchema = (partitionKey: string, sortKey: string) => [
  { AttributeName: partitionKey, KeyType: 'HASH' },
  { AttributeName: sortKey, KeyType: 'RANGE' },
];

/** The orders table by default; the idempotency table when asked. */
function tableOf(app: SynthesizedApp, table: TableV2 = app.data.table) {
  const tables = resourcesOfType(app.dataTemplate, 'AWS::DynamoDB::GlobalTable');
  expect(Object.keys(tables)).toHaveLength(2);
  const resource = tables[app.data.getLogicalId(table.node.defaultChild as CfnElement)];
  expect(resource).toBeDefined();
  return resource!;
}

type Replica = { Region: string; [key: string]: unknown };

function clientOf(app: SynthesizedApp, client: 'customerClient'): Record<string, unknown> {
  const id = app.data.getLogicalId(app.data[client].node.defaultChild as CfnElement);
  const resource = resourcesOfType(app.dataTemplate, 'AWS::Cognito::UserPoolClient')[id];
  expect(resource).toBeDefined();
  return resource!.Properties!;
}

describe('index projections of a table deployed before they were narrowed', () => {
  it('stay ALL with fullIndexProjection, so the update leaves the existing indexes alone', () => {
    const legacy = synthApp('staging', { configOverrides: { fullIndexProjection: true } });
    const indexes = tableOf(legacy).Properties!.GlobalSecondaryIndexes as { Projection: unknown }[];
    expect(indexes.map((index) => index.Projection)).toEqual(
      ordersTableDesign.globalIndexes.map(() => ({ ProjectionType: 'ALL' })),
    );
  });
});

describeEachEnvironment('data stack', (app, envName) => {
  it('builds the table from the shared table design', () => {
    const design = ordersTableDesign;
    const table = tableOf(app()).Properties!;
    expect(table.KeySchema).toEqual(keySchema(design.partitionKey, design.sortKey));
    const indexes = (
      table.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[]
    ).map((index) => ({ IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection }));
    // Keys only: an order's writes touch an index entry only when its key changes (docs/access-patterns.md).
    expect(indexes).toEqual(
      design.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
        Projection: { ProjectionType: 'KEYS_ONLY' },
      })),
    );
    const keyAttributes = [design, ...design.globalIndexes].flatMap((keys) => [keys.partitionKey, keys.sortKey]);
    expect(table.AttributeDefinitions).toEqual(
      expect.arrayContaining(keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' }))),
    );
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: design.timeToLiveAttribute, Enabled: true });
    expect(table.StreamSpecification).toEqual({ StreamViewType: design.stream });
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('keeps point-in-time recovery on in every region', () => {
    const replicas = tableOf(app()).Properties!.Replicas as Replica[];
    expect(replicas.map((replica) => replica.Region).sort()).toEqual(
      [app().config.primaryRegion, ...app().config.replicaRegions].sort(),
    );
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it('encrypts the primary table with a rotating customer managed key', () => {
    const table = tableOf(app()).Properties!;
    expect(table.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const primary = (table.Replicas as Replica[]).find((replica) => replica.Region === app().config.primaryRegion);
    const keyRef = (primary?.SSESpecification as { KMSMasterKeyId: { 'Fn::GetAtt': [string, string] } }).KMSMasterKeyId[
      'Fn::GetAtt'
    ][0];
    const key = resourcesOfType(app().dataTemplate, 'AWS::KMS::Key')[keyRef];
    expect(key?.Properties?.EnableKeyRotation).toBe(true);
  });

  it('encrypts each replica with the key of the replica-region stack', () => {
    expect(app().replicaKeys.map((stack) => stack.region)).toEqual(app().config.replicaRegions);
    const replicas = tableOf(app()).Properties!.Replicas as Replica[];
    app().replicaKeys.forEach((stack, index) => {
      const template = app().replicaKeyTemplates[index]!;
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/orders-${envName}-table` });
      expect(app().data.dependencies).toContain(stack);
      const replica = replicas.find((candidate) => candidate.Region === stack.region);
      expect(JSON.stringify(replica?.SSESpecification)).toContain(`:kms:${stack.region}:`);
      expect(JSON.stringify(replica?.SSESpecification)).toContain(`:alias/orders-${envName}-table`);
    });
  });

  it('builds the idempotency table from its design: key, TTL, on demand, PITR, the orders table key, no replicas', () => {
    const table = tableOf(app(), app().data.idempotencyTable).Properties!;
    expect(table.KeySchema).toEqual([{ AttributeName: idempotencyTableDesign.partitionKey, KeyType: 'HASH' }]);
    expect(table.AttributeDefinitions).toEqual([
      { AttributeName: idempotencyTableDesign.partitionKey, AttributeType: 'S' },
    ]);
    expect(table.TimeToLiveSpecification).toEqual({
      AttributeName: idempotencyTableDesign.timeToLiveAttribute,
      Enabled: true,
    });
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.StreamSpecification).toBeUndefined();
    expect(table.GlobalSecondaryIndexes).toBeUndefined();
    expect(table.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const replicas = table.Replicas as Replica[];
    expect(replicas.map((replica) => replica.Region)).toEqual([app().config.primaryRegion]);
    expect(replicas[0]?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    const ordersKey = app().data.getLogicalId(app().data.tableKey.node.defaultChild as CfnElement);
    expect(replicas[0]?.SSESpecification).toEqual({ KMSMasterKeyId: { 'Fn::GetAtt': [ordersKey, 'Arn'] } });
  });

  it('protects data where the environment retains it', () => {
    const retain = app().config.retainData;
    for (const table of [tableOf(app()), tableOf(app(), app().data.idempotencyTable)]) {
      expect(table.DeletionPolicy).toBe(retain ? 'Retain' : 'Delete');
      expect(table.UpdateReplacePolicy).toBe(retain ? 'Retain' : 'Delete');
      for (const replica of table.Properties!.Replicas as Replica[]) {
        expect(replica.DeletionProtectionEnabled ?? false).toBe(retain);
      }
    }
    for (const type of [
      'AWS::KMS::Key',
      'AWS::Cognito::UserPool',
      'AWS::SecretsManager::Secret',
      'AWS::ApiGateway::ApiKey',
    ]) {
      for (const resource of Object.values(resourcesOfType(app().dataTemplate, type))) {
        expect({ type, policy: resource.DeletionPolicy }).toEqual({ type, policy: retain ? 'Retain' : 'Delete' });
      }
    }
    expect(app().data.terminationProtection).toBe(retain);
  });

  it('has a user pool with customer and admin groups, a strong password policy and threat protection', () => {
    const template = app().dataTemplate;
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      // Optional for customers everywhere; admins' MFA is enforced by a trigger in prod (tested below).
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        // The very policy the local user-pool emulator enforces.
        PasswordPolicy: Match.objectLike({
          MinimumLength: passwordPolicy.minLength,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: passwordPolicy.tempPasswordValidityDays,
        }),
      },
      DeletionProtection: app().config.retainData ? 'ACTIVE' : 'INACTIVE',
    });
    const pool = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPool'))[0];
    const policy = (pool?.Properties?.Policies as { PasswordPolicy: { MinimumLength: number } }).PasswordPolicy;
    expect(policy.MinimumLength).toBeGreaterThanOrEqual(12);
    const groups = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPoolGroup'));
    expect(groups.map((group) => group.Properties?.GroupName).sort()).toEqual(['admins', 'customers']);
  });

  it('lets customers sign up with an emailed code, and the post-confirmation trigger makes them customers', () => {
    const template = app().dataTemplate;
    const pool = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPool'))[0]!.Properties!;
    expect(pool.AdminCreateUserConfig).toMatchObject({ AllowAdminCreateUserOnly: false });
    expect(pool.AutoVerifiedAttributes).toEqual(['email']);
    expect(pool.VerificationMessageTemplate).toMatchObject({
      DefaultEmailOption: 'CONFIRM_WITH_CODE',
      EmailMessage: expect.stringContaining('{####}'),
    });
    const lambdaConfig = pool.LambdaConfig as Record<string, { Ref: string }>;
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    const aliases = resourcesOfType(template, 'AWS::Lambda::Alias');
    const handlerOf = (trigger: string) => {
      const alias = aliases[lambdaConfig[trigger]!.Ref]!;
      const functionId = (alias.Properties!.FunctionName as { Ref: string }).Ref;
      return functions[functionId]!.Properties!.Description;
    };
    // Invoked through the `live` alias, as every caller of the project's functions.
    expect(handlerOf('PostConfirmation')).toContain('postConfirmation trigger');
    const triggers = Object.keys(lambdaConfig).sort();
    expect(triggers).toEqual(envName === 'prod' ? ['PostConfirmation', 'PreTokenGeneration'] : ['PostConfirmation']);
    if (envName === 'prod') expect(handlerOf('PreTokenGeneration')).toContain('preTokenGeneration trigger');

    // Each trigger may call only its Cognito action, on this pool only (a separate Policy: no dependency cycle).
    const poolId = Object.keys(resourcesOfType(template, 'AWS::Cognito::UserPool'))[0]!;
    const grants = Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))
      .flatMap((policy) => (policy.Properties!.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((statement) => String(statement.Action).startsWith('cognito-idp:'));
    expect(grants).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'cognito-idp:AdminAddUserToGroup',
          Resource: { 'Fn::GetAtt': [poolId, 'Arn'] },
        }),
      ]),
    );
    expect(grants).toHaveLength(envName === 'prod' ? 2 : 1);
  });

  it('has a public customer client: SRP and refresh only, no secret, no OAuth flows', () => {
    app().dataTemplate.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    const client = clientOf(app(), 'customerClient');
    expect(client).toMatchObject({
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    // No OAuth scopes to grant: SRP sign-in gives user access tokens, which carry aws.cognito.signin.user.admin,
    // the scope every authenticated method accepts.
    expect(client.AllowedOAuthScopes).toBeUndefined();
  });

  it('has an orders resource server with exactly the partner scopes of the route table', () => {
    const servers = Object.values(resourcesOfType(app().dataTemplate, 'AWS::Cognito::UserPoolResourceServer'));
    expect(servers).toHaveLength(1);
    const server = servers[0]!.Properties!;
    expect(server.Identifier).toBe('orders');
    const scopes = (server.Scopes as { ScopeName: string }[]).map((scope) => `${server.Identifier}/${scope.ScopeName}`);
    expect(scopes.sort()).toEqual([...partnerScopes].sort());
  });

  it("leaves partner app clients to partner onboarding: the pool has the customers' client only", () => {
    // Each partner gets its own client from `npm run partner -- create`; a client in the template would be shared.
    expect(Object.keys(resourcesOfType(app().dataTemplate, 'AWS::Cognito::UserPoolClient'))).toHaveLength(1);
    app().dataTemplate.hasOutput('PartnerScopes', { Value: [...partnerScopes].join(' ') });
  });

  it('has a Cognito domain for the token endpoint, unique per environment and account', () => {
    const domains = Object.values(resourcesOfType(app().dataTemplate, 'AWS::Cognito::UserPoolDomain'));
    expect(domains).toHaveLength(1);
    expect(domains[0]?.Properties?.Domain).toEqual({
      'Fn::Join': ['', [`orders-${envName}-`, { Ref: 'AWS::AccountId' }]],
    });
    app().dataTemplate.hasOutput('TokenEndpoint', {
      Value: {
        'Fn::Join': [
          '',
          ['https://', { Ref: Match.anyValue() }, `.auth.${app().config.primaryRegion}.amazoncognito.com/oauth2/token`],
        ],
      },
    });
  });

  it('creates one generated API key per client app (never one per plan) and outputs its id, never its value', () => {
    const keys = Object.entries(resourcesOfType(app().dataTemplate, 'AWS::ApiGateway::ApiKey'));
    const apps = Object.keys(app().config.api.clientApps);
    expect(apps.length).toBeGreaterThan(1);
    expect(keys).toHaveLength(apps.length);
    for (const appName of apps) {
      const entry = keys.find(([, key]) => key.Properties?.Name === `orders-${envName}-${appName}`);
      expect({ appName, found: Boolean(entry) }).toEqual({ appName, found: true });
      const [keyId, key] = entry!;
      expect(key.Properties?.Value).toBeUndefined();
      expect(key.Properties?.Enabled).toBe(true);
      app().dataTemplate.hasOutput(`ApiKeyId${planId(appName)}`, { Value: { Ref: keyId } });
    }
    expect([...app().data.apiKeys.keys()].sort()).toEqual([...apps].sort());
  });

  it('creates the payment API key and webhook signing secrets under the configured names', () => {
    for (const name of [app().config.payment.apiKeySecretName, app().config.payment.webhookSecretName]) {
      app().dataTemplate.hasResourceProperties('AWS::SecretsManager::Secret', {
        Name: name,
        GenerateSecretString: Match.objectLike({ PasswordLength: Match.anyValue() }),
      });
    }
  });

  it('outputs the table names, user pool id, customer client id, partner scopes and token endpoint', () => {
    for (const output of [
      'TableName',
      'IdempotencyTableName',
      'UserPoolId',
      'UserPoolClientId',
      'PartnerScopes',
      'TokenEndpoint',
    ]) {
      app().dataTemplate.hasOutput(output, { Value: Match.anyValue() });
    }
  });
});

describe('prod data stack', () => {
  it('is retained, deletion-protected, replicated and encrypted with a customer managed key', () => {
    const app = synthApp('prod');
    expect(app.config.retainData).toBe(true);
    expect(app.config.replicaRegions.length).toBeGreaterThan(0);
    app.dataTemplate.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        Replicas: Match.arrayWith(
          app.config.replicaRegions.map((region) =>
            Match.objectLike({
              Region: region,
              DeletionProtectionEnabled: true,
              SSESpecification: { KMSMasterKeyId: Match.anyValue() },
            }),
          ),
        ),
      }),
    });
  });
});
