import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import Router from '@koa/router';
import { assetRoutes } from './assets.ts';
import { forwardedPrefix } from './forwarded-prefix.ts';

const SWAGGER_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

const SWAGGER_INIT = `window.ui = SwaggerUIBundle({
  url: document.getElementById('swagger-ui').dataset.spec,
  dom_id: '#swagger-ui',
});
`;

/** Development only: the OpenAPI document and Swagger UI, served from the swagger-ui-dist package (no CDN). */
export function docsRoutes(title: string, document: object): Router {
  const router = new Router();
  // The server is where the request came from: behind the gateway, its prefix, so that Swagger UI's
  // "Try it out" sends /storagesvc/data and not /data (which the gateway does not route).
  // Serialised once per prefix (the gateway sends one per service), not per request; the prefix is a
  // client's header, so only a few are kept.
  const specs = new Map<string, string>();
  const specFor = (prefix: string) => {
    let spec = specs.get(prefix);
    if (spec === undefined) {
      spec = JSON.stringify({ ...document, servers: [{ url: prefix || '/' }] });
      if (specs.size < 8) specs.set(prefix, spec);
    }
    return spec;
  };
  // Only the files are needed: importing the package would load the whole browser bundle into Node.
  const assetDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = specFor(forwardedPrefix(ctx));
  });

  router.get('/swagger', (ctx) => {
    const prefix = forwardedPrefix(ctx);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title} API</title>
<link rel="stylesheet" href="${prefix}/swagger/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec="${prefix}/openapi.json"></div>
<script src="${prefix}/swagger/swagger-ui-bundle.js"></script>
<script src="${prefix}/swagger/init.js"></script></body>
</html>
`;
  });

  router.get('/swagger/init.js', (ctx) => {
    ctx.type = 'text/javascript; charset=utf-8';
    ctx.body = SWAGGER_INIT;
  });

  router.use(assetRoutes('/swagger', assetDir, SWAGGER_ASSETS, 'public, max-age=86400').routes());

  return router;
}
