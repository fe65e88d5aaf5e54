import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface Caller {
  /** The Cognito `sub`: stable for the user's lifetime, unlike the username. */
  readonly userId: string;
  readonly groups: readonly string[];
}

/**
 * Reads the caller from the claims that API Gateway's Cognito authorizer (or the local gateway) verified. REST APIs
 * pass every claim as a string: groups arrive comma-separated, or as "[a b]" in some integrations; both are read.
 */
export function callerFrom(event: APIGatewayProxyEvent): Caller | undefined {
  const claims = event.requestContext?.authorizer?.claims as Record<string, unknown> | undefined;
  const userId = claims?.sub;
  if (typeof userId !== 'string' || userId === '') return undefined;
  return { userId, groups: parseGroups(claims?.['cognito:groups']) };
}

export function parseGroups(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.filter((group): group is string => typeof group === 'string');
  if (typeof raw !== 'string') return [];
  return raw
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .filter((group) => group.length > 0);
}
