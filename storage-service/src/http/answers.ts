import type { Context } from 'koa';
import { forwardedPrefix } from 'service-kit/forwarded-prefix';
import type { StoredBody } from '../store/stored-body.ts';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A stored answer to a read, with its entity tag; 304 without the body when the client's copy is current. */
export function sendStored(ctx: Context, stored: StoredBody): void {
  ctx.set('ETag', stored.etag);
  ctx.set('Cache-Control', 'no-cache');
  ctx.status = 200;
  if (ctx.fresh) {
    ctx.status = 304;
    return;
  }
  ctx.set('Content-Type', JSON_CONTENT_TYPE);
  ctx.body = stored.bytes;
}

/**
 * What a POST created at `location` (a path of this service), rendered alike the first time and on a
 * replay, so both are byte-identical in body, Location and ETag. Location gets the prefix of the request
 * at hand: a replay through the gateway links through the gateway too.
 */
export function sendCreated(ctx: Context, location: string, created: StoredBody, replayed: boolean): void {
  ctx.status = 201;
  ctx.set('Location', forwardedPrefix(ctx) + location);
  ctx.set('ETag', created.etag);
  if (replayed) ctx.set('Idempotent-Replayed', 'true');
  ctx.set('Content-Type', JSON_CONTENT_TYPE);
  ctx.body = created.bytes;
}
