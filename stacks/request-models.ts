import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { requestModelSchema } from '../functions/api/openapi';
import type { RouteId } from '../functions/api/routes';

/**
 * A route's request-body model in CDK's JsonSchema shape, or undefined for routes without a body. The schema is the
 * draft-04 one the published OpenAPI document is built from (generated from the handler's zod schema), so API
 * Gateway, the document and the handler cannot disagree about what a valid body is. CDK writes `schema` back as
 * `$schema` and copies every other keyword as is (property names under `properties` included).
 */
export function requestModel(routeId: RouteId): apigateway.JsonSchema | undefined {
  const generated = requestModelSchema(routeId);
  if (!generated) return undefined;
  const { $schema, ...keywords } = generated;
  if ($schema !== apigateway.JsonSchemaVersion.DRAFT4) {
    throw new Error(`request model of ${routeId} must be JSON Schema draft-04, got ${String($schema)}`);
  }
  return { schema: apigateway.JsonSchemaVersion.DRAFT4, ...keywords } as apigateway.JsonSchema;
}
