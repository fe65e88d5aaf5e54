import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';

/**
 * The local API docs: swagger-ui rendering the gateway's own GET /openapi.json. Served only by the local gateway
 * (API Gateway never has these paths), from swagger-ui-dist's files in node_modules, so it works offline and nothing
 * is fetched from a CDN.
 */

export const docsPath = '/docs';

const swaggerUiDirectory = dirname(require.resolve('swagger-ui-dist/package.json'));

// Same origin only. No inline script or style: swagger-ui styles through the CSSOM, which CSP does not restrict;
// its stylesheet draws icons from data: URIs. `connect-src 'self'` covers the document and "Try it out".
export const docsContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>Orders API (local)</title>
    <link rel="stylesheet" href="${docsPath}/swagger-ui.css" />
    <link rel="stylesheet" href="${docsPath}/index.css" />
    <link rel="icon" type="image/png" href="${docsPath}/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${docsPath}/swagger-ui-bundle.js"></script>
    <script src="${docsPath}/docs-init.js"></script>
  </body>
</html>
`;

// An external script because the policy allows no inline one. BaseLayout has no URL bar, and query-string config
// stays off (the default), so the page can only show this API's document. validatorUrl: null stops swagger-ui from
// sending the document to validator.swagger.io for its badge.
const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  displayOperationId: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

const text = (body: string, type: string) => ({ load: async () => Buffer.from(body), type });
const packaged = (file: string, type: string) => ({
  load: () => readFile(join(swaggerUiDirectory, file)),
  type,
});

const resources: Readonly<Record<string, { load: () => Promise<Buffer>; type: string }>> = {
  [docsPath]: text(page, 'text/html; charset=utf-8'),
  [`${docsPath}/`]: text(page, 'text/html; charset=utf-8'),
  [`${docsPath}/docs-init.js`]: text(init, 'text/javascript; charset=utf-8'),
  [`${docsPath}/swagger-ui.css`]: packaged('swagger-ui.css', 'text/css; charset=utf-8'),
  [`${docsPath}/index.css`]: packaged('index.css', 'text/css; charset=utf-8'),
  [`${docsPath}/swagger-ui-bundle.js`]: packaged('swagger-ui-bundle.js', 'text/javascript; charset=utf-8'),
  [`${docsPath}/favicon-32x32.png`]: packaged('favicon-32x32.png', 'image/png'),
};

export function isDocsPath(path: string): boolean {
  return path === docsPath || path.startsWith(`${docsPath}/`);
}

/** Answers a request for /docs or /docs/*: the page, its script and swagger-ui's files; 404 for anything else. */
export async function serveDocs(method: string, path: string, response: ServerResponse): Promise<void> {
  const headers = {
    'content-security-policy': docsContentSecurityPolicy,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Local only, and swagger-ui-dist changes with npm installs: always revalidate.
    'cache-control': 'no-cache',
  };
  const resource = resources[path];
  if (!resource) {
    response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
    response.end('no such docs resource\n');
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    response.end('method not allowed\n');
    return;
  }
  const body = await resource.load();
  response.writeHead(200, { ...headers, 'content-type': resource.type, 'content-length': body.length });
  response.end(method === 'HEAD' ? undefined : body);
}
