import type { Context } from 'koa';
import type { EntityTagCondition, Preconditions } from '../store/preconditions.ts';

/** `*`, or the comma-separated entity tags as written; a malformed tag simply matches nothing. */
function condition(header: string | undefined): EntityTagCondition | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return '*';
  return value
    .split(',')
    .map((tag) => tag.trim())
    .filter(Boolean);
}

/** The request's `If-Match` and `If-None-Match`, for a conditional write. */
export function preconditionsOf(ctx: Context): Preconditions {
  return {
    ifMatch: condition(ctx.req.headers['if-match']),
    ifNoneMatch: condition(ctx.req.headers['if-none-match']),
  };
}
