import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { UserPoolAdmin, userPoolClient } from '../core/adapters/user-pool';
import { customersGroup } from '../core/domain/identity';
import { instrumented } from '../core/handlers/instrumented';
import { logger } from '../core/observability/powertools';

/**
 * Cognito's post-confirmation trigger: a user who confirmed their own sign-up becomes a customer. Only
 * `PostConfirmation_ConfirmSignUp`: a confirmed forgotten-password reset (`PostConfirmation_ConfirmForgotPassword`)
 * is the same user again and must not rejoin a group an operator removed them from. Adding a member twice is harmless,
 * so Cognito's retry of a timed-out invocation is too. The event is returned unchanged, as Cognito expects.
 */
export async function confirmSignUp(
  client: CognitoIdentityProviderClient,
  event: PostConfirmationTriggerEvent,
): Promise<PostConfirmationTriggerEvent> {
  if (event.triggerSource !== 'PostConfirmation_ConfirmSignUp') {
    logger.info('trigger source ignored', { triggerSource: event.triggerSource });
    return event;
  }
  await new UserPoolAdmin(client, event.userPoolId).addToGroup(event.userName, customersGroup);
  // The sub, never the email: logs carry no personal data.
  logger.info('signed-up user added to customers', { sub: event.request.userAttributes.sub });
  return event;
}

const client = userPoolClient();

export const handler = instrumented((event: PostConfirmationTriggerEvent) => confirmSignUp(client, event));
