import { envNames, settingNames } from '../../functions/core/config/settings';
import { migrationChecksum } from '../../functions/core/migrations/migration';
import { migrations } from '../../functions/core/migrations/migrations';
import { migrationTimeouts } from '../../stacks/constructs/data-migrations';
import { asArray, describeEachEnvironment, resourcesOfType } from './synth-app';
import { defaultPolicyStatements, logicalIdOf } from './template-helpers';

/**
 * The deploy-time data migrations: a custom resource whose provider invokes the migration function's version of
 * the deployment, re-run when a migration is added or the function changes, and both functions granted only what
 * they use.
 */

const tableArn = /^\{"Fn::ImportValue":"Orders-[a-z]+-Data:[^"]*OrdersTable\w*Arn\w*"\}$/;
const tableKeyArn = /^\{"Fn::ImportValue":"Orders-[a-z]+-Data:[^"]*(Key|Kms)\w*Arn\w*"\}$/i;

describeEachEnvironment('data migrations', (app) => {
  const providerFunction = () => app().service.migrations.provider.node.findChild('framework-onEvent');
  /** The logical id of the migration function's published version (CDK suffixes it with the code's hash). */
  const versionId = () => {
    const functionId = logicalIdOf(app(), app().service.migrations.function.function);
    const versions = Object.entries(resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Version')).filter(
      ([, resource]) => JSON.stringify(resource.Properties?.FunctionName) === JSON.stringify({ Ref: functionId }),
    );
    expect(versions).toHaveLength(1);
    return versions[0]![0];
  };

  it('runs the migrations through a custom resource that changes with the migration list and the code', () => {
    const resources = Object.values(resourcesOfType(app().serviceTemplate, 'Custom::DataMigrations'));
    expect(resources).toHaveLength(1);
    expect(resources[0]!.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [logicalIdOf(app(), providerFunction()), 'Arn'] },
      Migrations: migrations.map((migration) => `${migration.id}:${migrationChecksum(migration).slice(0, 12)}`),
      // The published version of this deployment's code: new code means a new value, hence an update, hence a run.
      FunctionVersion: {
        'Fn::GetAtt': [versionId(), 'Version'],
      },
      ServiceTimeout: String(migrationTimeouts.customResource.toSeconds()),
    });
    // The provider invokes exactly that version.
    const provider = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function')[
      logicalIdOf(app(), providerFunction())
    ]!;
    expect((provider.Properties!.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      USER_ON_EVENT_FUNCTION_ARN: { Ref: versionId() },
    });
  });

  it('times out runner first, then the provider, then the custom resource, all far below the hour', () => {
    const functions = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function');
    const runner = functions[logicalIdOf(app(), app().service.migrations.function.function)]!.Properties!;
    const provider = functions[logicalIdOf(app(), providerFunction())]!.Properties!;
    const [resource] = Object.values(resourcesOfType(app().serviceTemplate, 'Custom::DataMigrations'));
    const timeouts = [runner.Timeout, provider.Timeout, resource!.Properties!.ServiceTimeout].map(Number);
    expect(timeouts).toEqual([13 * 60, 15 * 60, 20 * 60]);
    // Each failure is answered by the next one up: the provider reports the runner's error (or its timeout) to
    // CloudFormation as the resource's Reason; CloudFormation's own wait ends well before its default hour.
    expect(timeouts[0]!).toBeLessThan(timeouts[1]!);
    expect(timeouts[1]!).toBeLessThan(timeouts[2]!);
    expect(timeouts[2]!).toBeLessThan(3600);
  });

  it('gives the migration function a long run, the table name and nothing else to configure', () => {
    const functions = resourcesOfType(app().serviceTemplate, 'AWS::Lambda::Function');
    const properties = functions[logicalIdOf(app(), app().service.migrations.function.function)]!.Properties!;
    expect(properties).toMatchObject({
      Timeout: migrationTimeouts.runner.toSeconds(),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    // The regions every function gets where the table has replicas: the run skips in a standby (standby-region.test.ts).
    const regionVariables = new Set<string>(Object.values(envNames.regions));
    const runtimeVariables = new Set<string>(settingNames.filter((name) => !regionVariables.has(name)));
    expect(Object.keys(variables).filter((name) => runtimeVariables.has(name))).toEqual([envNames.table.tableName]);
  });

  it('lets the migration function read, write and scan the table alone: no index, no other service', () => {
    const statements = defaultPolicyStatements(app(), app().service.migrations.function.role);
    const dataStatements = statements.filter((statement) =>
      asArray(statement.Action).some((action) => !/^(logs|xray):/.test(action)),
    );
    const byResource = new Map<string, string[]>();
    for (const statement of dataStatements) {
      for (const resource of asArray(statement.Resource)) {
        const key = JSON.stringify(resource);
        byResource.set(key, [...(byResource.get(key) ?? []), ...asArray(statement.Action)]);
      }
    }
    const tableResources = [...byResource.keys()].filter((resource) => tableArn.test(resource));
    expect(tableResources).toHaveLength(1);
    expect([...new Set(byResource.get(tableResources[0]!))].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ]);
    // Whatever else it may touch is the table's key, for those reads and writes.
    for (const [resource, actions] of byResource) {
      if (resource === tableResources[0]) continue;
      expect({ resource, actions: actions.every((action) => action.startsWith('kms:')) }).toEqual({
        resource: expect.stringMatching(tableKeyArn),
        actions: true,
      });
    }
    expect(JSON.stringify(statements)).not.toMatch(/index\/|states:|events:|sqs:|secretsmanager:|Idempotency/);
  });

  it('lets the provider only write its logs and invoke (and look up) the migration function version', () => {
    const role = app().service.migrations.node.findChild('ProviderRole');
    const statements = defaultPolicyStatements(app(), role);
    const versionRef = { Ref: versionId() };
    const lambdaStatements = statements.filter((statement) =>
      asArray(statement.Action).some((action) => action.startsWith('lambda:')),
    );
    expect(lambdaStatements.flatMap((statement) => asArray(statement.Action)).sort()).toEqual([
      'lambda:GetFunction',
      'lambda:InvokeFunction',
    ]);
    for (const statement of lambdaStatements) expect(asArray(statement.Resource)).toEqual([versionRef]);
    const others = statements.filter((statement) => !lambdaStatements.includes(statement));
    expect(others.flatMap((statement) => asArray(statement.Action)).sort()).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
    const roleResource = resourcesOfType(app().serviceTemplate, 'AWS::IAM::Role')[logicalIdOf(app(), role)]!;
    expect(roleResource.Properties?.ManagedPolicyArns).toBeUndefined();
  });
});
