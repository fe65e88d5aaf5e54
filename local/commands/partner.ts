import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { selectEnvironment } from '../../bin/environment-config';
import { DynamoDbPartnerDirectory } from '../../functions/core/adapters/dynamodb/partner-directory';
import { readRuntimeFile } from '../runtime/runtime-file';
import { devEnvironment } from '../runtime/dev-config';
import { runCommand, UsageError } from './lib/data-command';
import {
  createPartner,
  disablePartner,
  PartnerCommandError,
  rotatePartnerSecret,
  type PartnerOnboardingDeps,
} from './lib/partner-onboarding';

const projectRoot = resolve(__dirname, '..', '..');

const usage = `npm run partner -- <command> [options]
Partners are tenants: each has its own app client (client credentials), API key and usage-plan tier, and sees only
its own orders (docs/partners.md).
  create <name> --plan <tier>   onboards a partner; prints its client id, client secret and API key ONCE
  list                          every partner with its tier, status, client id and API key id
  rotate-secret <name>          issues a new client secret; the previous one keeps working until the next rotation
  disable <name>                disables its API key now and its tokens within a minute
Target (default: the running npm start, through .local-data/runtime.json):
  --env <dev|staging|prod>      a deployed environment (AWS credentials from the usual SDK chain), with:
  --region <region>             its primary region (default: the environment's primaryRegion)
  --user-pool-id <id>           the data stack's UserPoolId output
  --table <name>                the data stack's TableName output
  --runtime-file <path>         another running system's runtime file`;

/**
 * `npm run partner`: partner onboarding through the same SDK calls in AWS and offline (the local user pool and API
 * keys speak Cognito's and API Gateway's protocols). Exit status 0 on success, 1 when refused (unknown partner, bad
 * name or tier, a name taken), 2 when the command could not run.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      plan: { type: 'string' },
      env: { type: 'string' },
      region: { type: 'string' },
      'user-pool-id': { type: 'string' },
      table: { type: 'string' },
      'runtime-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const [command, name, ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  if (rest.length > 0) throw new UsageError(`unexpected arguments: ${rest.join(' ')}`);
  const needsName = command !== 'list';
  if (needsName && !name) throw new UsageError(`${command} needs a partner name`);
  const deps = await onboardingDeps(values);
  try {
    switch (command) {
      case 'create': {
        if (!values.plan) throw new UsageError(`create needs --plan <tier> (${deps.tiers.join(', ')})`);
        const created = await createPartner(deps, { partnerId: name!, plan: values.plan });
        console.log(
          values.json
            ? JSON.stringify(created, null, 2)
            : [
                `Partner ${created.partner.partnerId} created in tier ${created.partner.plan}.`,
                'Hand these to the partner over a secure channel; the secret and key are not shown again:',
                `  client id      ${created.clientId}`,
                `  client secret  ${created.clientSecret}`,
                `  API key        ${created.apiKey}`,
              ].join('\n'),
        );
        return 0;
      }
      case 'list': {
        const partners = await deps.directory.list();
        if (values.json) console.log(JSON.stringify(partners, null, 2));
        else if (partners.length === 0) console.log('No partners yet: npm run partner -- create <name> --plan <tier>');
        else {
          for (const partner of partners) {
            console.log(
              `${partner.partnerId.padEnd(24)} ${partner.plan.padEnd(18)} ${partner.status.padEnd(9)} ` +
                `client ${partner.clientId}  key ${partner.apiKeyId}  since ${partner.createdAt}`,
            );
          }
        }
        return 0;
      }
      case 'rotate-secret': {
        const rotated = await rotatePartnerSecret(deps, name!);
        console.log(
          values.json
            ? JSON.stringify(rotated, null, 2)
            : [
                `New client secret for ${name} (client ${rotated.clientId}); shown once:`,
                `  ${rotated.clientSecret}`,
                `The previous secret keeps working until the next rotation; ${rotated.retired} older one(s) retired.`,
              ].join('\n'),
        );
        return 0;
      }
      case 'disable': {
        const disabled = await disablePartner(deps, name!);
        console.log(`Partner ${disabled.partnerId} disabled: its API key is refused now, its tokens within a minute.`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    deps.cognito.destroy();
    deps.apiGateway.destroy();
  }
}

async function onboardingDeps(values: {
  env?: string | undefined;
  region?: string | undefined;
  'user-pool-id'?: string | undefined;
  table?: string | undefined;
  'runtime-file'?: string | undefined;
}): Promise<PartnerOnboardingDeps> {
  const documentClientFor = (client: DynamoDBClient, table: string) =>
    new DynamoDbPartnerDirectory(DynamoDBDocumentClient.from(client), table);
  if (values.env) {
    const config = selectEnvironment(environmentsOf(), values.env);
    const region = values.region ?? config.primaryRegion;
    if (!values['user-pool-id'] || !values.table) {
      throw new UsageError('--env needs --user-pool-id and --table (the data stack outputs UserPoolId and TableName)');
    }
    return {
      cognito: new CognitoIdentityProviderClient({ region }),
      apiGateway: new APIGatewayClient({ region }),
      directory: documentClientFor(new DynamoDBClient({ region }), values.table),
      userPoolId: values['user-pool-id'],
      envName: values.env,
      tiers: Object.keys(config.api.usagePlans),
    };
  }
  const running = await readRuntimeFile(values['runtime-file']);
  if (!running.aws) throw new UsageError('the running npm start is older than partner onboarding: restart it');
  // The local emulators accept any credentials; they never leave this machine.
  const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  return {
    cognito: new CognitoIdentityProviderClient({ ...local, endpoint: running.aws.url }),
    apiGateway: new APIGatewayClient({ ...local, endpoint: running.aws.apiGatewayUrl }),
    directory: documentClientFor(
      new DynamoDBClient({ ...local, endpoint: running.dynamoDbEndpoint }),
      running.tableName,
    ),
    userPoolId: running.aws.userPoolId,
    envName: 'local',
    tiers: Object.keys(devEnvironment(projectRoot).api.usagePlans),
  };
}

function environmentsOf(): unknown {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context: { environments: unknown };
  };
  return cdkJson.context.environments;
}

runCommand('partner', usage, main, {
  verdict: (error) => (error instanceof PartnerCommandError ? 'refused' : undefined),
});
