import { createHash } from 'node:crypto';
import published from '../../docs/openapi.json';
import { httpHandler } from '../core/handlers/http-handler';
import type { OpenApiDocument } from './openapi';
import * as contract from './route-contracts';
import { routes } from './routes';

// The document only changes with a deployment, and is built from the routes' schemas before one (npm run
// docs:openapi; the synth refuses a stale one): served as data, so no cold start builds it from the zod schemas.
const document = published as unknown as OpenApiDocument;
const etag = `"${createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 27)}"`;

export const handler = httpHandler(routes.openApi, contract.openApi, async () => ({
  body: document,
  headers: { 'cache-control': 'public, max-age=300', etag },
}));
