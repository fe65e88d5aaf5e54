import {
  AdminAddUserToGroupCommand,
  AdminGetUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Group } from '../../api/routes';
import { totpMfa } from '../domain/identity';
import { tracer } from '../observability/powertools';

/**
 * Group membership and MFA state of users in the Cognito user pool (the local user-pool emulator offline, through
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER). The pool id comes with each call: triggers read it from their event,
 * the admin command from its target.
 */
export class UserPoolAdmin {
  constructor(
    private readonly client: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  /** Idempotent, as Cognito's AdminAddUserToGroup is: adding a member again changes nothing. */
  async addToGroup(username: string, group: Group): Promise<void> {
    await this.client.send(
      new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: username, GroupName: group }),
    );
  }

  async removeFromGroup(username: string, group: Group): Promise<void> {
    await this.client.send(
      new AdminRemoveUserFromGroupCommand({ UserPoolId: this.userPoolId, Username: username, GroupName: group }),
    );
  }

  /** The groups the user is in (the first page: a user is in a handful of groups, far below its 60). */
  async groupsOf(username: string): Promise<string[]> {
    const result = await this.client.send(
      new AdminListGroupsForUserCommand({ UserPoolId: this.userPoolId, Username: username, Limit: 60 }),
    );
    return (result.Groups ?? []).flatMap((group) => (group.GroupName ? [group.GroupName] : []));
  }

  /** The user's username, `sub` and whether they have TOTP MFA enabled; UserNotFoundException for an unknown user. */
  async describe(username: string): Promise<{ username: string; sub?: string; totp: boolean }> {
    const user = await this.client.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }));
    return {
      username: user.Username ?? username,
      ...subOf(user.UserAttributes),
      totp: (user.UserMFASettingList ?? []).includes(totpMfa),
    };
  }
}

function subOf(attributes: readonly { Name?: string; Value?: string }[] | undefined) {
  const sub = attributes?.find((attribute) => attribute.Name === 'sub')?.Value;
  return sub ? { sub } : {};
}

/** The traced client for this function's environment, built once per cold start. */
export function userPoolClient(): CognitoIdentityProviderClient {
  return tracer.captureAWSv3Client(new CognitoIdentityProviderClient({}));
}
