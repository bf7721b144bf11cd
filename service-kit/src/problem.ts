import { STATUS_CODES } from 'node:http';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { forwardedPrefix } from './forwarded-prefix.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The shape of every problem answer, for the services' OpenAPI documents. */
export const ProblemSchema = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details.' });

/** RFC 9457 problem details; extension members sit beside the standard ones. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  [extension: string]: unknown;
}

export interface ProblemInit {
  status: number;
  /** Last segment of the problem type URI, e.g. `item-not-found`. */
  kind: string;
  title: string;
  detail: string;
  extensions?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** The URL the problem is about, when it is not the request's own (e.g. an error page asked by the gateway). */
  instance?: string;
}

export function problemType(kind: string): string {
  return `urn:assembly:problem:${kind}`;
}

/** An error that is answered to the client exactly as the problem it describes. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly kind: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly instance: string | undefined;

  constructor(init: ProblemInit) {
    super(init.detail);
    this.name = 'HttpProblem';
    this.status = init.status;
    this.kind = init.kind;
    this.title = init.title;
    this.extensions = init.extensions ?? {};
    this.headers = init.headers ?? {};
    this.instance = init.instance;
  }
}

interface ClientHttpError {
  status: number;
  expose?: boolean;
  message: string;
  headers?: Record<string, string>;
}

/** Errors with a 4xx status, raised by Koa itself or the libraries it runs (http-errors and the like). */
function isClientError(err: unknown): err is ClientHttpError {
  const status = (err as Partial<ClientHttpError> | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function kindOf(title: string): string {
  return title.toLowerCase().replaceAll(/[^a-z]+/g, '-');
}

/**
 * A service's errors (its domain's refusals) as problems; undefined for an error it does not know.
 * `prefix` is the path prefix the gateway stripped: paths a detail names are written as the caller sees them.
 */
export type ProblemMapping = (err: unknown, prefix: string) => HttpProblem | undefined;

function describe(thrown: unknown, ctx: Context, problems: ProblemMapping | undefined): { problem: ProblemDocument; headers: Record<string, string> } {
  // The URL as the client wrote it: behind the gateway, with the prefix the gateway stripped.
  const instance = forwardedPrefix(ctx) + ctx.originalUrl;
  const err = problems?.(thrown, forwardedPrefix(ctx)) ?? thrown;
  if (err instanceof HttpProblem) {
    return {
      problem: {
        type: problemType(err.kind),
        title: err.title,
        status: err.status,
        detail: err.message,
        instance: err.instance ?? instance,
        ...err.extensions,
      },
      headers: err.headers,
    };
  }
  if (isClientError(err)) {
    const title = STATUS_CODES[err.status] ?? 'Client Error';
    return {
      problem: {
        type: problemType(kindOf(title)),
        title,
        status: err.status,
        detail: err.expose ? err.message : title,
        instance,
      },
      headers: err.headers ?? {},
    };
  }
  return {
    problem: {
      type: problemType('internal-error'),
      title: 'Internal Server Error',
      status: 500,
      detail: `An unexpected error occurred. Quote request id ${String(ctx.state.requestId)} when reporting it.`,
      instance,
    },
    headers: {},
  };
}

export function sendProblem(ctx: Context, problem: ProblemDocument, headers: Record<string, string> = {}): void {
  ctx.status = problem.status;
  ctx.set(headers);
  ctx.set('Content-Type', PROBLEM_CONTENT_TYPE);
  ctx.body = JSON.stringify({ ...problem, requestId: ctx.state.requestId });
}

function statusProblem(ctx: Context): HttpProblem {
  const title = STATUS_CODES[ctx.status] ?? 'Error';
  // The path as the caller sent it, with the prefix the gateway stripped.
  const path = forwardedPrefix(ctx) + ctx.path;
  if (ctx.status === 404) {
    return new HttpProblem({ status: 404, kind: 'route-not-found', title, detail: `No route answers ${ctx.method} ${path}.` });
  }
  if (ctx.status === 405) {
    const allowed = ctx.response.get('Allow');
    const detail = `${ctx.method} is not allowed on ${path}; allowed: ${allowed}.`;
    return new HttpProblem({ status: 405, kind: 'method-not-allowed', title, detail });
  }
  return new HttpProblem({ status: ctx.status, kind: kindOf(title), title, detail: `${ctx.method} ${path}: ${title}.` });
}

/**
 * Turns every failure below it into a problem+json answer: client mistakes keep their 4xx status,
 * anything unexpected becomes a 500 whose stack goes to the request's log line, never to the client.
 * An error status with no body (no route matched, method not allowed) becomes a problem too.
 */
export function problemResponses(problems?: ProblemMapping): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status >= 400 && ctx.body == null) throw statusProblem(ctx);
    } catch (err) {
      const { problem, headers } = describe(err, ctx, problems);
      // A problem raised on purpose says all in its body; the log line keeps what else made a 5xx (a bug, the store's failure).
      if (problem.status >= 500 && !(err instanceof HttpProblem)) (ctx.res as { err?: unknown }).err = err;
      sendProblem(ctx, problem, headers);
    }
  };
}
