import { Match } from 'aws-cdk-lib/assertions';
import { ordersTableDesign } from '../../functions/core/data/table-design';
import { allEnvironments, resourcesOfType, synthApp, type SynthesizedApp } from './synth-app';

const keySchema = (partitionKey: string, sortKey: string) => [
  { AttributeName: partitionKey, KeyType: 'HASH' },
  { AttributeName: sortKey, KeyType: 'RANGE' },
];

function tableOf(app: SynthesizedApp) {
  const tables = Object.values(resourcesOfType(app.dataTemplate, 'AWS::DynamoDB::GlobalTable'));
  expect(tables).toHaveLength(1);
  return tables[0]!;
}

type Replica = { Region: string; [key: string]: unknown };

describe.each(allEnvironments)('data stack (%s)', (envName) => {
  let app: SynthesizedApp;
  beforeAll(() => {
    app = synthApp(envName);
  });

  it('builds the table from the shared table design', () => {
    const design = ordersTableDesign;
    const table = tableOf(app).Properties!;
    expect(table.KeySchema).toEqual(keySchema(design.partitionKey, design.sortKey));
    const indexes = (table.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown }[]).map((index) => ({
      IndexName: index.IndexName,
      KeySchema: index.KeySchema,
    }));
    expect(indexes).toEqual(
      design.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: keySchema(index.partitionKey, index.sortKey),
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
    const replicas = tableOf(app).Properties!.Replicas as Replica[];
    expect(replicas.map((replica) => replica.Region).sort()).toEqual(
      [app.config.primaryRegion, ...app.config.replicaRegions].sort(),
    );
    for (const replica of replicas) {
      expect(replica.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });

  it('encrypts the primary table with a rotating customer managed key', () => {
    const table = tableOf(app).Properties!;
    expect(table.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    const primary = (table.Replicas as Replica[]).find((replica) => replica.Region === app.config.primaryRegion);
    const keyRef = (primary?.SSESpecification as { KMSMasterKeyId: { 'Fn::GetAtt': [string, string] } }).KMSMasterKeyId[
      'Fn::GetAtt'
    ][0];
    const key = resourcesOfType(app.dataTemplate, 'AWS::KMS::Key')[keyRef];
    expect(key?.Properties?.EnableKeyRotation).toBe(true);
  });

  it('encrypts each replica with the key of the replica-region stack', () => {
    expect(app.replicaKeys.map((stack) => stack.region)).toEqual(app.config.replicaRegions);
    const replicas = tableOf(app).Properties!.Replicas as Replica[];
    app.replicaKeys.forEach((stack, index) => {
      const template = app.replicaKeyTemplates[index]!;
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
      template.hasResourceProperties('AWS::KMS::Alias', { AliasName: `alias/orders-${envName}-table` });
      expect(app.data.dependencies).toContain(stack);
      const replica = replicas.find((candidate) => candidate.Region === stack.region);
      expect(JSON.stringify(replica?.SSESpecification)).toContain(`:kms:${stack.region}:`);
      expect(JSON.stringify(replica?.SSESpecification)).toContain(`:alias/orders-${envName}-table`);
    });
  });

  it('protects data where the environment retains it', () => {
    const table = tableOf(app);
    const retain = app.config.retainData;
    expect(table.DeletionPolicy).toBe(retain ? 'Retain' : 'Delete');
    expect(table.UpdateReplacePolicy).toBe(retain ? 'Retain' : 'Delete');
    for (const replica of table.Properties!.Replicas as Replica[]) {
      expect(replica.DeletionProtectionEnabled ?? false).toBe(retain);
    }
    for (const type of ['AWS::KMS::Key', 'AWS::Cognito::UserPool', 'AWS::SecretsManager::Secret']) {
      for (const resource of Object.values(resourcesOfType(app.dataTemplate, type))) {
        expect({ type, policy: resource.DeletionPolicy }).toEqual({ type, policy: retain ? 'Retain' : 'Delete' });
      }
    }
    expect(app.data.terminationProtection).toBe(retain);
  });

  it('has a user pool with customer and admin groups, a strong password policy and threat protection', () => {
    const template = app.dataTemplate;
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      MfaConfiguration: envName === 'prod' ? 'ON' : 'OPTIONAL',
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: Match.anyValue(),
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      DeletionProtection: app.config.retainData ? 'ACTIVE' : 'INACTIVE',
    });
    const pool = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPool'))[0];
    const policy = (pool?.Properties?.Policies as { PasswordPolicy: { MinimumLength: number } }).PasswordPolicy;
    expect(policy.MinimumLength).toBeGreaterThanOrEqual(12);
    const groups = Object.values(resourcesOfType(template, 'AWS::Cognito::UserPoolGroup'));
    expect(groups.map((group) => group.Properties?.GroupName).sort()).toEqual(['admins', 'customers']);
  });

  it('has a public customer client: SRP and refresh only, no secret, no OAuth flows', () => {
    app.dataTemplate.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    app.dataTemplate.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  it('creates the payment API key secret under the configured name', () => {
    app.dataTemplate.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: app.config.payment.apiKeySecretName,
      GenerateSecretString: Match.objectLike({ PasswordLength: Match.anyValue() }),
    });
  });

  it('outputs the table name, user pool id and client id', () => {
    for (const output of ['TableName', 'UserPoolId', 'UserPoolClientId']) {
      app.dataTemplate.hasOutput(output, { Value: Match.anyValue() });
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
