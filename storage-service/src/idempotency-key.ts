import { createHash } from 'node:crypto';
import { parseInput } from 'service-kit/validation';
import { IdempotencyHeaders } from './schemas.ts';
import type { IdempotencyKey } from './store/store.ts';

/** Keys in code-unit order at every level: the same JSON written with other spacing or key order is the same request. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, nested: unknown) =>
    nested !== null && typeof nested === 'object' && !Array.isArray(nested)
      ? Object.fromEntries(Object.entries(nested).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : nested,
  );
}

/**
 * An idempotency key as a client sent it (`what` names where: headers, metadata) with the fingerprint
 * that tells a retry from a different request: SHA-256 of the HTTP method, path and canonical body the
 * request is, whichever API carried it, so that a retry over gRPC of a POST made over HTTP is the same
 * request. Undefined without a key; a malformed key is a 400 problem (parseInput).
 */
export function idempotencyKey(sent: unknown, what: string, method: string, path: string, body: unknown): IdempotencyKey | undefined {
  if (sent === undefined) return undefined;
  const { 'Idempotency-Key': key } = parseInput(IdempotencyHeaders, { 'Idempotency-Key': sent }, what);
  if (key === undefined) return undefined;
  const fingerprint = createHash('sha256').update(`${method} ${path}\n${canonicalJson(body)}`).digest('base64url');
  return { key, fingerprint };
}
