import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { UserPoolAdmin, userPoolClient } from '../core/adapters/user-pool';
import { adminsGroup } from '../core/domain/identity';
import { instrumented } from '../core/handlers/instrumented';
import { logger } from '../core/observability/powertools';

/** The message Cognito wraps into the failed sign-in's error ("PreTokenGeneration failed with error …"). */
export const adminMfaMissingMessage = 'Members of admins must set up TOTP MFA before signing in.';

export class AdminMfaRequiredError extends Error {
  constructor() {
    super(adminMfaMissingMessage);
    this.name = 'AdminMfaRequiredError';
  }
}

/**
 * Cognito's pre-token-generation trigger, attached where admins must use MFA (prod): MFA is optional in the pool so
 * customers can shop without it, and this is where the rule for admins is enforced. A member of `admins` without
 * TOTP MFA enabled gets no tokens at all (sign-in and refresh alike, the trigger runs for both), so the admin
 * routes are out of reach until they set it up. Everyone else passes unchanged.
 */
export async function requireAdminMfa(
  client: CognitoIdentityProviderClient,
  event: PreTokenGenerationTriggerEvent,
): Promise<PreTokenGenerationTriggerEvent> {
  const groups = event.request.groupConfiguration?.groupsToOverride ?? [];
  if (!groups.includes(adminsGroup)) return event;
  const user = await new UserPoolAdmin(client, event.userPoolId).describe(event.userName);
  if (!user.totp) {
    logger.warn('admin sign-in refused: no TOTP MFA', { sub: user.sub, triggerSource: event.triggerSource });
    throw new AdminMfaRequiredError();
  }
  return event;
}

const client = userPoolClient();

export const handler = instrumented((event: PreTokenGenerationTriggerEvent) => requireAdminMfa(client, event));
