import type { IncomingMessage } from 'node:http';
import type { Context } from 'koa';
import { forwardedPrefix } from 'service-kit/forwarded-prefix';
import { HttpProblem } from 'service-kit/problem';
import { jsonValueProblem } from '../json-value.ts';

/** Stateless between calls (no `stream` option): one for every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function unsupported(detail: string): HttpProblem {
  return new HttpProblem({ status: 415, kind: 'unsupported-media-type', title: 'Unsupported Media Type', detail });
}

function invalidJson(detail: string): HttpProblem {
  return new HttpProblem({ status: 400, kind: 'invalid-json', title: 'Bad Request', detail });
}

function tooLarge(limitBytes: number): HttpProblem {
  return new HttpProblem({
    status: 413,
    kind: 'body-too-large',
    title: 'Content Too Large',
    detail: `The body is limited to ${limitBytes} bytes.`,
    extensions: { limitBytes },
  });
}

/**
 * The body's bytes, at most `limitBytes`. Past the limit the rest is read and dropped rather than left
 * unread: the client can finish sending and read the 413, and the connection stays usable.
 */
function readBytes(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (outcome: () => void) => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
      outcome();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else stop(() => (req.resume(), reject(tooLarge(limitBytes))));
    };
    const onEnd = () => stop(() => resolve(Buffer.concat(chunks, size)));
    const onError = () => stop(() => reject(invalidJson('The body was not received completely.')));
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/**
 * The request's JSON body, parsed: `Content-Type: application/json` (UTF-8, no content coding) or 415;
 * at most `limitBytes` or 413; UTF-8, JSON, finite numbers and bounded nesting or 400. Every refusal
 * is a problem the client can act on; no body, however odd, gets further than this.
 */
export async function readJsonBody(ctx: Context, limitBytes: number): Promise<unknown> {
  if (ctx.request.type.trim().toLowerCase() !== 'application/json') {
    throw unsupported(`${ctx.method} ${forwardedPrefix(ctx)}${ctx.path} takes a JSON body with Content-Type: application/json.`);
  }
  const charset = ctx.request.charset.toLowerCase();
  if (charset && charset !== 'utf-8') throw unsupported(`The body must be UTF-8 (got charset ${charset}).`);
  const coding = ctx.get('Content-Encoding');
  if (coding && coding.toLowerCase() !== 'identity') throw unsupported(`The body must not be encoded (got Content-Encoding ${coding}).`);
  if (ctx.request.length > limitBytes) {
    ctx.req.resume();
    throw tooLarge(limitBytes);
  }

  const bytes = await readBytes(ctx.req, limitBytes);
  if (bytes.length === 0) throw invalidJson('The body is empty; it must be a JSON object.');
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw invalidJson('The body is not valid UTF-8.');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalidJson(`The body is not valid JSON: ${(err as Error).message}`);
  }
  const problem = jsonValueProblem(value);
  if (problem) throw new HttpProblem({ status: 400, kind: 'invalid-request', title: 'Bad Request', detail: `Invalid body: ${problem}.` });
  return value;
}
