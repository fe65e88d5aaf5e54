import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../core/adapters/dynamodb/document-client';
import { tableName } from '../core/adapters/dynamodb/stores';
import { mirroredSigningKeysFrom, signingKeysItemKey } from '../core/identity/mirrored-signing-keys';
import { StandbyAuthorizer } from '../core/identity/standby-authorization';
import { logger } from '../core/observability/powertools';

const table = tableName();
const authorizer = new StandbyAuthorizer(async () => {
  const { Item } = await documentClient.send(new GetCommand({ TableName: table, Key: signingKeysItemKey }));
  const keys = mirroredSigningKeysFrom(Item);
  if (!keys) logger.error('no usable mirrored signing keys in the table: every token is refused', { table });
  return keys;
});

/**
 * The standby region's REST API authorizer (AWS only): verifies Cognito access tokens of the primary region's user
 * pool against its signing keys mirrored into the local table replica (functions/core/identity/standby-authorization.ts).
 */
export const handler = (event: APIGatewayRequestAuthorizerEvent) => authorizer.authorize(event);
