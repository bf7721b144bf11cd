import Router from '@koa/router';
import { forwardedPrefix } from 'service-kit/forwarded-prefix';

/** A small landing page so a person who opens the service in a browser sees what it is and where to go. */
export function homeRoutes(replicaId: string, showDocs: boolean): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    const prefix = forwardedPrefix(ctx);
    const docsLink = showDocs ? `<li><a href="${prefix}/swagger">API documentation (Swagger UI)</a></li>` : '';
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>storage-service · ${replicaId}</title></head>
<body>
<h1>storage-service</h1>
<p>Replica <code>${replicaId}</code> serves partitions of JSON objects and an order log, from the store every replica shares.</p>
<ul>
<li><a href="${prefix}/data">/data</a>: the partitions</li>
<li><a href="${prefix}/orders">/orders</a>: the order log</li>
<li><a href="${prefix}/healthz">/healthz</a>: this replica's health</li>
${docsLink}
</ul>
</body>
</html>
`;
  });
  return router;
}
