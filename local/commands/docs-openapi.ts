import { join, resolve } from 'node:path';
import { buildOpenApiDocument } from '../../functions/api/openapi';
import { publishedOpenApiDocument, renderOpenApiDocument } from '../../stacks/published-openapi';
import { writeOrCheckGenerated } from './lib/generated-file';

const projectRoot = resolve(__dirname, '..', '..');

/**
 * `npm run docs:openapi`: writes docs/openapi.json, the document `GET /openapi.json` serves, from the route table and
 * the routes' schemas. With `--check`, writes nothing and exits 1 when the committed document is stale (the synth
 * and a unit test check the same).
 */
process.exitCode = writeOrCheckGenerated(
  join(projectRoot, publishedOpenApiDocument),
  renderOpenApiDocument(buildOpenApiDocument()),
  publishedOpenApiDocument,
  'npm run docs:openapi',
);
