import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { parseInput } from 'service-kit/validation';
import { IdempotencyHeaders } from '../schemas.ts';
import type { IdempotencyKey } from '../store/store.ts';

/** Keys in code-unit order at every level: the same JSON written with other spacing or key order is the same request. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, nested: unknown) =>
    nested !== null && typeof nested === 'object' && !Array.isArray(nested)
      ? Object.fromEntries(Object.entries(nested).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : nested,
  );
}

/**
 * The request's Idempotency-Key (IETF draft "The Idempotency-Key HTTP Header Field") with the
 * fingerprint that tells a retry from a different request: SHA-256 of method, path and the canonical
 * body. Undefined without the header; a malformed key is a 400.
 */
export function idempotencyKeyOf(ctx: Context, body: unknown): IdempotencyKey | undefined {
  const header = ctx.req.headers['idempotency-key'];
  if (header === undefined) return undefined;
  const { 'Idempotency-Key': key } = parseInput(IdempotencyHeaders, { 'Idempotency-Key': header }, 'headers');
  if (key === undefined) return undefined;
  const fingerprint = createHash('sha256').update(`${ctx.method} ${ctx.path}\n${canonicalJson(body)}`).digest('base64url');
  return { key, fingerprint };
}
