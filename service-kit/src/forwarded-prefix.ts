import type { Context } from 'koa';

const SAFE_PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/;

/**
 * The path prefix the gateway stripped (Traefik's stripPrefix sets `X-Forwarded-Prefix`), so links in
 * HTML pages work both behind the gateway and when the service is called directly.
 */
export function forwardedPrefix(ctx: Context): string {
  const prefix = ctx.get('X-Forwarded-Prefix').replace(/\/$/, '');
  return SAFE_PREFIX.test(prefix) ? prefix : '';
}
