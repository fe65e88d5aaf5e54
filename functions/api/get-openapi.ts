import { createHash } from 'node:crypto';
import { httpHandler } from '../core/http/http-handler';
import { buildOpenApiDocument } from './openapi';
import { routes } from './routes';

// The document only changes with a deployment: built once per cold start, and a generator bug fails the init.
const document = buildOpenApiDocument();
const etag = `"${createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 27)}"`;

export const handler = httpHandler(routes.openApi, async () => ({
  statusCode: 200,
  body: document,
  headers: { 'cache-control': 'public, max-age=300', etag },
}));
