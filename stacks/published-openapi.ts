import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, type OpenApiDocument } from '../functions/api/openapi';

/**
 * The OpenAPI document as published: committed at this path, served as data by `GET /openapi.json`
 * (functions/api/get-openapi.ts), so no function builds it from the zod schemas at init. `npm run docs:openapi`
 * writes it.
 */
export const publishedOpenApiDocument = 'docs/openapi.json';

export function renderOpenApiDocument(document: OpenApiDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * Fails the synth when the committed document is not what the routes and their schemas build now: a deployment
 * would otherwise publish a description of the API it does not serve.
 */
export function assertPublishedOpenApiCurrent(projectRoot: string): void {
  let committed = '';
  try {
    committed = readFileSync(join(projectRoot, publishedOpenApiDocument), 'utf8');
  } catch {
    // Missing: reported below as stale.
  }
  if (committed !== renderOpenApiDocument(buildOpenApiDocument())) {
    throw new Error(`${publishedOpenApiDocument} is stale: run npm run docs:openapi, then synth again`);
  }
}
