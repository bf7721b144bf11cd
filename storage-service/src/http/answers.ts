import type { Context } from 'koa';
import { forwardedPrefix } from 'service-kit/forwarded-prefix';
import type { RecordedAnswer } from '../store/store.ts';
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
 * The answer to a write, first time or replayed. A kept `Location` is a path of this service: it gets
 * the prefix of the request at hand, so a replay through the gateway links through the gateway too.
 */
export function sendAnswer(ctx: Context, answer: RecordedAnswer, { replayed }: { replayed: boolean }): void {
  ctx.status = answer.status;
  for (const [name, value] of Object.entries(answer.headers)) ctx.set(name, name === 'Location' ? forwardedPrefix(ctx) + value : value);
  if (replayed) ctx.set('Idempotent-Replayed', 'true');
  ctx.body = answer.body;
}

/** The answer to a POST that created `created` at `location` (a path of this service): what a replay gets too. */
export function createdAnswer(location: string, created: StoredBody): RecordedAnswer {
  return {
    status: 201,
    headers: { Location: location, ETag: created.etag, 'Content-Type': JSON_CONTENT_TYPE },
    body: created.bytes.toString(),
  };
}
