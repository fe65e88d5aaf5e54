import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import {
  CognitoIdentityProviderClient,
  ListUserPoolsCommand,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { sendAwsRequest } from '../../functions/core/adapters/aws-signed-request';
import { UserPoolAdmin } from '../../functions/core/adapters/user-pool';
import {
  adminsGroup,
  identityEventSource,
  type AdminChangeEvent,
  type IdentityEventType,
} from '../../functions/core/domain/identity';
import { runCommand, UsageError } from './lib/data-command';
import { LocalSystemNotRunningError, readRuntimeFile } from '../runtime/runtime-file';

const usage = `npm run admin -- grant|revoke <username> [options]
Adds a user to (grant) or removes them from (revoke) the admins group, and publishes the change as an audit event
(identity.admin-granted / identity.admin-revoked) on the event bus. Offline it works on the running npm start.
  --env <dev|staging|prod>      work on that environment in AWS instead (credentials and region from the AWS SDK's
                                usual sources: AWS_PROFILE, AWS_REGION, ...); the user pool is orders-<env>
  --user-pool-id <id>           the user pool, when it cannot be found by name
  --region <region>             the region of the environment's primary stacks (default AWS_REGION)
  --runtime-file <path>         another running system's runtime file (default .local-data/runtime.json)
In prod, grant refuses a user without TOTP MFA (admins must have it to sign in there: docs/identity.md).`;

/** The user is unknown, or may not become an admin: exit status 1 with the reason. */
class AdminRefusedError extends Error {}

interface Target {
  readonly cognito: CognitoIdentityProviderClient;
  readonly events: EventBridgeClient;
  readonly userPoolId: string;
  readonly eventBusName: string;
  /** Who runs the command, as the audit event names them. */
  readonly actor: string;
  readonly requireMfa: boolean;
  readonly description: string;
}

async function localTarget(runtimeFile: string | undefined): Promise<Target> {
  const running = await readRuntimeFile(runtimeFile);
  if (!running.aws) throw new LocalSystemNotRunningError('the running npm start predates the user pool emulator');
  const local = {
    endpoint: running.aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return {
    cognito: new CognitoIdentityProviderClient(local),
    events: new EventBridgeClient(local),
    userPoolId: running.aws.userPoolId,
    eventBusName: running.aws.eventBusName,
    actor: `local:${userInfo().username}`,
    requireMfa: false,
    description: `the running npm start (process ${running.pid})`,
  };
}

async function awsTarget(envName: string, userPoolId: string | undefined, region: string | undefined) {
  if (!/^[a-z0-9-]+$/.test(envName)) throw new UsageError(`--env ${envName} is not an environment name`);
  const resolvedRegion = region ?? process.env.AWS_REGION;
  if (!resolvedRegion) throw new UsageError('--region (or AWS_REGION) is required with --env');
  const cognito = new CognitoIdentityProviderClient({ region: resolvedRegion });
  const poolId = userPoolId ?? (await userPoolNamed(cognito, `orders-${envName}`));
  return {
    cognito,
    events: new EventBridgeClient({ region: resolvedRegion }),
    userPoolId: poolId,
    eventBusName: `orders-${envName}`,
    actor: await callerArn(cognito, resolvedRegion),
    requireMfa: envName === 'prod',
    description: `user pool ${poolId} (${envName}, ${resolvedRegion})`,
  };
}

/** The data stack names the pool `orders-<env>` (stacks/constructs/user-directory.ts). */
async function userPoolNamed(cognito: CognitoIdentityProviderClient, name: string): Promise<string> {
  const ids: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cognito.send(new ListUserPoolsCommand({ MaxResults: 60, NextToken }));
    ids.push(...(page.UserPools ?? []).filter((pool) => pool.Name === name).flatMap((pool) => pool.Id ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  if (ids.length !== 1) {
    throw new UsageError(`found ${ids.length} user pools named ${name}: name the pool with --user-pool-id`);
  }
  return ids[0]!;
}

/**
 * The operator's AWS identity (STS GetCallerIdentity), signed with the credentials the Cognito client resolved: no
 * STS client is installed for one call.
 */
async function callerArn(cognito: CognitoIdentityProviderClient, region: string): Promise<string> {
  const credentials = await cognito.config.credentials();
  const response = await sendAwsRequest(
    {
      method: 'POST',
      service: 'sts',
      region,
      host: `sts.${region}.amazonaws.com`,
      path: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    },
    credentials,
  );
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(response.body)?.[1];
  if (!arn) throw new Error('STS GetCallerIdentity answered without an Arn');
  return arn;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      env: { type: 'string' },
      'user-pool-id': { type: 'string' },
      region: { type: 'string' },
      'runtime-file': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const [action, username, ...rest] = positionals;
  if ((action !== 'grant' && action !== 'revoke') || !username || rest.length > 0) {
    throw new UsageError('expected: grant|revoke <username>');
  }
  const target = values.env
    ? await awsTarget(values.env, values['user-pool-id'], values.region)
    : await localTarget(values['runtime-file']);
  try {
    const event = await changeAdmin(target, action, username);
    const verb = action === 'grant' ? 'is now in' : 'is no longer in';
    console.log(`${event.data.username} ${verb} ${adminsGroup}${event.data.changed ? '' : ' (no change)'}`);
    console.log(`  target: ${target.description}; audit event ${event.type} ${event.id} by ${event.data.actor}`);
    console.log('  the change shows in the next token the user gets (a token already issued keeps its groups)');
    return 0;
  } finally {
    target.cognito.destroy();
    target.events.destroy();
  }
}

async function changeAdmin(target: Target, action: 'grant' | 'revoke', username: string): Promise<AdminChangeEvent> {
  const pool = new UserPoolAdmin(target.cognito, target.userPoolId);
  const user = await pool.describe(username).catch((error: unknown) => {
    if (error instanceof UserNotFoundException) {
      throw new AdminRefusedError(`no user ${username} in ${target.description}`);
    }
    throw error;
  });
  if (action === 'grant' && target.requireMfa && !user.totp) {
    throw new AdminRefusedError(`${username} has no TOTP MFA: admins must set it up first (docs/identity.md)`);
  }
  const wasAdmin = (await pool.groupsOf(user.username)).includes(adminsGroup);
  if (action === 'grant') await pool.addToGroup(user.username, adminsGroup);
  else await pool.removeFromGroup(user.username, adminsGroup);
  const type: IdentityEventType = action === 'grant' ? 'identity.admin-granted' : 'identity.admin-revoked';
  const event: AdminChangeEvent = {
    id: randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    data: {
      username: user.username,
      ...(user.sub ? { sub: user.sub } : {}),
      group: adminsGroup,
      actor: target.actor,
      userPoolId: target.userPoolId,
      changed: action === 'grant' ? !wasAdmin : wasAdmin,
    },
  };
  const { FailedEntryCount = 0 } = await target.events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: target.eventBusName,
          Source: identityEventSource,
          DetailType: type,
          Detail: JSON.stringify(event),
        },
      ],
    }),
  );
  // The membership changed but its audit record is missing: loud, so the operator publishes it again (rerun).
  if (FailedEntryCount > 0) throw new Error(`the audit event ${type} was not accepted by ${target.eventBusName}`);
  return event;
}

runCommand('admin', usage, main, {
  verdict: (error) => (error instanceof AdminRefusedError ? 'refused' : undefined),
});
