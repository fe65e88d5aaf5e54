import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import {
  gatewayProblem,
  gatewayResponses,
  type GatewayResponseDefinition,
} from '../../functions/api/gateway-responses';
import { gatewayResponseCorsHeaders } from './api-cors';

/** A problem-shaped body (the handlers' error shape) for a response API Gateway answers by itself. */
function problemTemplate(response: GatewayResponseDefinition, detail = response.detail): string {
  return JSON.stringify(gatewayProblem(response, '$context.requestId', detail));
}

/**
 * What API Gateway answers by itself (before any handler runs), from the table the local gateway answers from too
 * (functions/api/gateway-responses.ts). Browsers may read every error (CORS, ./api-cors.ts), 429s say when to come back
 * (Retry-After), and the answers a client is expected to act on carry the handlers' problem shape.
 */
export function addGatewayResponses(api: apigateway.RestApi): void {
  // The request's Origin echoed, since a gateway response cannot check it against the list (why: api-cors.ts).
  const cors = gatewayResponseCorsHeaders();
  const problem = (definition: GatewayResponseDefinition, detail?: string) => ({
    statusCode: String(definition.status),
    responseHeaders: {
      ...cors,
      ...(definition.retryAfterSeconds === undefined ? {} : { 'Retry-After': `'${definition.retryAfterSeconds}'` }),
    },
    templates: { 'application/json': problemTemplate(definition, detail) },
  });
  api.addGatewayResponse('Throttled', {
    type: apigateway.ResponseType.THROTTLED,
    ...problem(gatewayResponses.throttled),
  });
  api.addGatewayResponse('QuotaExceeded', {
    type: apigateway.ResponseType.QUOTA_EXCEEDED,
    ...problem(gatewayResponses.quotaExceeded),
  });
  // Every method here is authorized by Cognito or public, never by IAM, so API Gateway sends this only for a path
  // or method that does not exist: a 404, not the misleading 403 "Missing Authentication Token".
  api.addGatewayResponse('NotFound', {
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    ...problem(gatewayResponses.notFound),
  });
  // A body the request model rejects: the same status and code as the handler's own validation.
  api.addGatewayResponse('BadRequestBody', {
    type: apigateway.ResponseType.BAD_REQUEST_BODY,
    ...problem(gatewayResponses.badRequestBody, '$context.error.validationErrorString'),
  });
  // Everything else keeps API Gateway's status and body ({"message": ...}) and only gains the CORS header.
  api.addGatewayResponse('Default4xx', { type: apigateway.ResponseType.DEFAULT_4XX, responseHeaders: cors });
  api.addGatewayResponse('Default5xx', { type: apigateway.ResponseType.DEFAULT_5XX, responseHeaders: cors });
}

/** What each access log line records (JSON, one object per request). */
export function accessLogFields(): Record<string, string> {
  const field = apigateway.AccessLogField;
  return {
    requestId: field.contextRequestId(),
    extendedRequestId: field.contextExtendedRequestId(),
    requestTime: field.contextRequestTime(),
    ip: field.contextIdentitySourceIp(),
    userAgent: field.contextIdentityUserAgent(),
    caller: field.contextAuthorizerClaims('sub'),
    httpMethod: field.contextHttpMethod(),
    resourcePath: field.contextResourcePath(),
    status: field.contextStatus(),
    protocol: field.contextProtocol(),
    responseLength: field.contextResponseLength(),
    responseLatency: field.contextResponseLatency(),
    integrationLatency: field.contextIntegrationLatency(),
    integrationStatus: field.contextIntegrationStatus(),
    errorMessage: field.contextErrorMessage(),
    xrayTraceId: field.contextXrayTraceId(),
    // WAF_ALLOW or WAF_BLOCK: requests the web ACL blocked are logged here too.
    wafResponseCode: field.contextWafResponseCode(),
  };
}
