import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { standbyNamePrefix } from '../../stacks/orders-app';
import { allEnvironments, synthApp } from './synth-app';

/**
 * A resource with a fixed physical name cannot be replaced by CloudFormation (the new one is created first, under
 * the same name) and, when retained, blocks creating the stack again after a delete. Every fixed name the templates
 * carry, in every environment, must be accepted with its reason in physical-names-accepted.json; every entry there
 * must still match a resource, so the list stays the documentation of what is named and why.
 */
interface Accepted {
  readonly resourceType: string;
  /** The name with `<env>` for the environment's name; `*` matches any run of characters. */
  readonly name: string;
  readonly reason: string;
}

/** The property holding each type's physical name: names unique in an account and region, or stateful resources. */
const namePropertyByType: Readonly<Record<string, string>> = {
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Events::EventBus': 'Name',
  'AWS::Events::Archive': 'ArchiveName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::CloudWatch::Alarm': 'AlarmName',
  'AWS::CloudWatch::Dashboard': 'DashboardName',
  'AWS::WAFv2::WebACL': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::Cognito::UserPool': 'UserPoolName',
  'AWS::CodeDeploy::Application': 'ApplicationName',
  'AWS::CodeDeploy::DeploymentGroup': 'DeploymentGroupName',
  'AWS::SES::ConfigurationSet': 'Name',
};

const accepted = (
  JSON.parse(fs.readFileSync(path.join(__dirname, 'physical-names-accepted.json'), 'utf8')) as {
    accepted: Accepted[];
  }
).accepted;

function patternOf(entry: Accepted, envName: string): RegExp {
  const escaped = entry.name
    .replaceAll('<env>', envName)
    .replace(/[.+?^${}()|[\]\\/]/g, '\\$&')
    .replaceAll('*', '.*');
  return new RegExp(`^${escaped}$`);
}

describe('fixed physical names', () => {
  const used = new Set<Accepted>();

  it.each(allEnvironments)('every fixed name in %s is accepted with a reason', (envName) => {
    const app = synthApp(envName);
    // A standby region's service names its resources `orders-<env>-<region>-...`: the same entries apply to it, with
    // `<env>` read as `<env>-<region>`.
    const templates: [Template, string][] = [
      ...[app.dataTemplate, ...app.serviceStackTemplates.values(), ...app.replicaKeyTemplates].map(
        (template): [Template, string] => [template, envName],
      ),
      ...[...app.standbyDataTemplates.values()].map((template): [Template, string] => [template, envName]),
      ...app.standbys.flatMap((stack) =>
        [...app.standbyStackTemplates]
          .filter(([name]) => name.split('/')[0] === stack.stackName)
          .map(([, template]): [Template, string] => [template, standbyNamePrefix(envName, stack.region)]),
      ),
    ];
    const unaccepted: string[] = [];
    for (const [template, names] of templates) {
      for (const [id, resource] of Object.entries(
        template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>,
      )) {
        const property = namePropertyByType[resource.Type];
        const name = property ? resource.Properties?.[property] : undefined;
        // Only a literal is fixed: a name built from the stack id changes with each stack instance.
        if (typeof name !== 'string') continue;
        const entry = accepted.find(
          (candidate) => candidate.resourceType === resource.Type && patternOf(candidate, names).test(name),
        );
        if (entry) used.add(entry);
        else unaccepted.push(`${resource.Type} ${id} ${property}=${name}`);
      }
    }
    expect(unaccepted).toEqual([]);
  });

  it('lists only names that exist, each with a reason', () => {
    for (const entry of accepted) {
      expect({ entry, used: used.has(entry) }).toEqual({ entry, used: true });
      expect(entry.reason.length).toBeGreaterThan(40);
    }
  });
});
