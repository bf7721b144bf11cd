import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';

/**
 * `GET <prefix>/:name` for a fixed set of files, read once at start (from `dir`, with the content type
 * given per file name). Any other name falls through to the next route (so, in the end, a 404 problem).
 */
export function assetRoutes(prefix: string, dir: string, types: Record<string, string>, cacheControl: string): Router {
  const assets = new Map(Object.entries(types).map(([name, type]) => [name, { type, bytes: readFileSync(join(dir, name)) }]));
  const router = new Router();
  router.get(`${prefix}/:name`, (ctx, next) => {
    const asset = assets.get(ctx.params.name ?? '');
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', cacheControl);
    ctx.body = asset.bytes;
  });
  return router;
}
