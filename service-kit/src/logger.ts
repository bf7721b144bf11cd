import type Koa from 'koa';
import type { Middleware } from 'koa';
import { pino, stdSerializers, type DestinationStream, type Level, type Logger } from 'pino';

/**
 * The service's JSON logger: every line names the service. Lines go to stdout asynchronously: a request
 * queues its line and does not wait for the write (a synchronous write was a large share of a cached
 * read's cost: BENCHMARKS.md, storage-vs-bare). On exit, graceful or not, pino writes what is queued; only a
 * killed process (SIGKILL) can lose its last lines, never data.
 */
export function createLogger(service: string, level: string, destination: DestinationStream = pino.destination({ sync: false })): Logger {
  return pino({ level, base: { service } }, destination);
}

/** Methods that change nothing: a read that went well is in the gateway's access log already. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An error is unexpected (a bug); a 4xx or a deliberate 5xx (unavailable, an injected fault) is a warning. */
export function requestLogLevel(method: string, status: number, err: unknown): Level {
  if (err) return 'error';
  if (status >= 400) return 'warn';
  // A write that took effect is worth a line of its own. A read that went well, and every health probe,
  // only at debug: the gateway's access log has a line for every request, with the request id and the
  // replica that answered (X-Request-Id, X-Replica-Id), and a second line per read here costs a replica
  // read throughput (BENCHMARKS.md, storage-vs-bare).
  return READS.has(method) ? 'debug' : 'info';
}

/**
 * One line per request when its response is sent (or the connection closes first), at the level above:
 * `req` (id, method, url), `res` (statusCode), `responseTime` in ms, and `err` with its stack for an
 * unexpected error (problemResponses puts it on the response). No headers: credentials and cookies never
 * reach the log. Nothing is done for a request whose line the level leaves out: no child logger and
 * no listener, since per-request work shows in a replica's read throughput.
 */
export function requestLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const { req, res, state } = ctx;
      // The status is final once the middlewares below returned (problemResponses made any error an answer).
      const err = (res as { err?: unknown }).err;
      const level = requestLogLevel(req.method ?? '', res.statusCode, err);
      if (logger.isLevelEnabled(level)) {
        const write = () => {
          res.off('finish', write);
          res.off('close', write);
          const line = {
            req: { id: state.requestId as string, method: req.method, url: req.url },
            res: { statusCode: res.statusCode },
            responseTime: Math.round(performance.now() - started),
            ...(err ? { err: stdSerializers.err(err as Error) } : {}),
          };
          logger[level](line, res.writableFinished ? 'request completed' : 'request aborted');
        };
        res.once('finish', write);
        res.once('close', write);
      }
    }
  };
}

/** `ctx.log`: a logger for a request's own lines, with its id; made the first time a request uses it. */
export function requestLoggers(context: Koa['context'], logger: Logger): void {
  const made = new WeakMap<object, Logger>();
  Object.defineProperty(context, 'log', {
    get(this: Koa['context']) {
      let child = made.get(this);
      if (!child) made.set(this, (child = logger.child({ req: { id: this.state.requestId as string } })));
      return child;
    },
  });
}

declare module 'koa' {
  interface ExtendableContext {
    /** The request's logger (requestLog). */
    readonly log: Logger;
  }
}
