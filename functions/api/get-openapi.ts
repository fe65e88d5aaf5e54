import { createHash } from 'node:crypto';
import { httpHandler } from '../core/handlers/http-handler';
import { buildOpenApiDocument } from './openapi';
import * as contract from './route-contracts';
import { routes } from './routes';

// The document only changes with a deployment: built once per cold start, and a generator bug fails the init.
const document = buildOpenApiDocument();
const etag = `"${createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 27)}"`;

export const handler = httpHandler(routes.openApi, contract.openApi, async () => ({
  body: document,
  headers: { 'cache-control': 'public, max-age=300', etag },
}));
