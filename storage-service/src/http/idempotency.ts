import type { Context } from 'koa';
import { idempotencyKey } from '../idempotency-key.ts';
import type { IdempotencyKey } from '../store/store.ts';

/** The request's Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field") with its fingerprint. */
export function idempotencyKeyOf(ctx: Context, body: unknown): IdempotencyKey | undefined {
  return idempotencyKey(ctx.req.headers['idempotency-key'], 'headers', ctx.method, ctx.path, body);
}
