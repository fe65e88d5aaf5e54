import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { allEnvironments, synthApp } from './synth-app';

/**
 * CloudFormation identifies a resource by its logical id: a construct moved to another scope or renamed gets a new
 * id, and the next deploy creates a new resource and deletes (or, where retained, orphans) the old one. For the types
 * below that loses data, so their logical ids and types are pinned per environment and stack in
 * stateful-logical-ids.json.
 *
 * Stateful here means the resource holds data, or values handed out to people and systems, that a replacement would
 * lose or regenerate:
 * - DynamoDB tables (TableV2 synthesizes AWS::DynamoDB::GlobalTable): orders, stock, idempotency records;
 * - KMS keys: everything above is encrypted with them, and a new key cannot read old backups or replicas;
 * - Secrets Manager secrets: the payment provider's key, set by operators after the first deploy;
 * - Backup vaults: the recovery points;
 * - Cognito user pools (the users), user pool clients (client ids and the partner secret handed out) and groups
 *   (their membership);
 * - API Gateway API keys: the values handed to callers;
 * - SQS queues: orders waiting for an operator;
 * - EventBridge archives: the events kept for replay;
 * - SNS topics: operators subscribe to the alarm topic outside the template, and a new topic has no subscriptions;
 * - CloudWatch log groups: API access logs, WAF logs, function logs and the execution logs that are the only record
 *   of an Express workflow run;
 * - S3 buckets: none today; listed so that the first one is pinned too.
 *
 * Left out, because a replacement loses nothing: functions, versions and aliases, roles and policies, state machines,
 * the event bus and its rules, KMS aliases, the user pool's domain and resource server, usage plans (the daily quota
 * counter restarts, nothing else), the REST API and its parts, alarms, dashboards, AppConfig and CodeDeploy resources.
 *
 * A deliberate change (a new table, a renamed function whose log group may be replaced) is recorded with
 * `UPDATE_STATEFUL_IDS=1 npx jest --selectProjects infra --testPathPatterns stateful-logical-ids`, and the change
 * to stateful-logical-ids.json is reviewed like a migration.
 */
export const statefulResourceTypes: readonly string[] = [
  'AWS::DynamoDB::GlobalTable',
  'AWS::DynamoDB::Table',
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::Backup::BackupVault',
  'AWS::Cognito::UserPool',
  'AWS::Cognito::UserPoolClient',
  'AWS::Cognito::UserPoolGroup',
  'AWS::ApiGateway::ApiKey',
  'AWS::SQS::Queue',
  'AWS::Events::Archive',
  'AWS::SNS::Topic',
  'AWS::Logs::LogGroup',
  'AWS::S3::Bucket',
];

/** Logical id -> resource type, by environment and stack name. */
type StatefulIds = Record<string, Record<string, Record<string, string>>>;

const snapshotFile = path.join(__dirname, 'stateful-logical-ids.json');

function statefulResources(template: Template): Record<string, string> {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  return Object.fromEntries(
    Object.entries(resources)
      .filter(([, resource]) => statefulResourceTypes.includes(resource.Type))
      .map(([id, resource]) => [id, resource.Type])
      .sort(([a], [b]) => a!.localeCompare(b!)),
  );
}

function synthesizedIds(): StatefulIds {
  return Object.fromEntries(
    allEnvironments.map((envName) => {
      const app = synthApp(envName);
      // Per template as deployed: a resource that moves into a nested stack is a new resource to CloudFormation.
      const templates: [string, Template][] = [
        ...app.replicaKeys.map((stack, i): [string, Template] => [stack.stackName, app.replicaKeyTemplates[i]!]),
        [app.data.stackName, app.dataTemplate],
        ...app.serviceStackTemplates,
        ...app.standbyData.map((stack): [string, Template] => [
          stack.stackName,
          app.standbyDataTemplates.get(stack.region)!,
        ]),
        ...app.standbyStackTemplates,
      ];
      return [envName, Object.fromEntries(templates.map(([name, template]) => [name, statefulResources(template)]))];
    }),
  );
}

describe('stateful logical ids', () => {
  const actual = synthesizedIds();
  if (process.env.UPDATE_STATEFUL_IDS) fs.writeFileSync(snapshotFile, `${JSON.stringify(actual, null, 2)}\n`);
  const recorded = JSON.parse(fs.readFileSync(snapshotFile, 'utf8')) as StatefulIds;

  const stackCases = Object.entries(recorded).flatMap(([envName, stacks]) =>
    Object.entries(stacks).map(([stackName, ids]) => [envName, stackName, ids] as const),
  );

  it.each(stackCases)('%s: %s keeps every stateful resource', (envName, stackName, ids) => {
    const synthesized = actual[envName]?.[stackName] ?? {};
    const replaced = Object.entries(ids)
      .filter(([id, type]) => synthesized[id] !== type)
      .map(([id, type]) => `${id} (${type})${synthesized[id] ? ` is now a ${synthesized[id]}` : ' is gone'}`);
    if (replaced.length > 0) {
      throw new Error(
        `${stackName} no longer has these stateful resources under their recorded logical ids:\n  ` +
          `${replaced.join('\n  ')}\n` +
          'A deploy would create new resources and delete (or orphan) the deployed ones with their data. Keep the ' +
          "construct's id and scope, or pin the id with overrideLogicalId; see this file's header for deliberate changes.",
      );
    }
  });

  it('records every stateful resource of every environment and stack', () => {
    const unrecorded = Object.entries(actual).flatMap(([envName, stacks]) =>
      Object.entries(stacks).flatMap(([stackName, ids]) =>
        Object.entries(ids)
          .filter(([id]) => recorded[envName]?.[stackName]?.[id] === undefined)
          .map(([id, type]) => `${envName} ${stackName} ${id} (${type})`),
      ),
    );
    // A new stateful resource is pinned from its first deploy on; record it on purpose.
    expect(unrecorded).toEqual([]);
  });
});
