import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';

/** Ids from outside are kept only when they cannot smuggle anything into headers or logs. */
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:@+\/=-]{1,128}$/;

export function pickRequestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Names every request: the caller's `X-Request-Id` when it is sane, otherwise a new UUID. It is echoed in
 * the response and kept as `ctx.state.requestId`, which the request's log line carries (logger.ts).
 */
export function requestIds(): Middleware {
  return async (ctx, next) => {
    const id = pickRequestId(ctx.req.headers['x-request-id']);
    ctx.state.requestId = id;
    ctx.set('X-Request-Id', id);
    await next();
  };
}
