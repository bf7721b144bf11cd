import { METHODS } from 'node:http';
import Router from '@koa/router';
import Koa, { type Middleware } from 'koa';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { docsRoutes } from './docs.ts';
import { requestLog, requestLoggers } from './logger.ts';
import { requestDurations } from './metrics.ts';
import { problemResponses, type ProblemMapping } from './problem.ts';
import { requestIds } from './request-id.ts';

export interface ServiceAppOptions {
  logger: Logger;
  routers: Router[];
  /** Present in development only: `/openapi.json` and Swagger UI at `/swagger`. */
  docs?: { title: string; document: object };
  /** Runs before everything else, so even a failed request's answer carries what it adds. */
  first?: Middleware[];
  /** The service's own errors as the problems a client reads (its domain's refusals); anything else is a 500. */
  problems?: ProblemMapping;
  /** Errors Koa itself sees (a streamed body that fails); without it Koa prints them to stderr. */
  onError?: (err: NodeJS.ErrnoException) => void;
  /** Where each request's duration is recorded (`http_server_request_duration_seconds`); none without it. */
  metrics?: Registry;
}

/**
 * The one Koa app both services are: request ids, one log line per request, problem+json for every
 * failure, then the service's routes. A method no route of the path takes is a 405 with `Allow`.
 */
export function createServiceApp({ logger, routers, docs, first = [], problems, onError, metrics }: ServiceAppOptions): Koa {
  const app = new Koa();
  if (onError) app.on('error', onError);
  // Outside everything but `first`: the status it records is the one answered, problems included.
  if (metrics) app.use(requestDurations(metrics));
  for (const middleware of first) app.use(middleware);
  app.use(requestIds());
  requestLoggers(app.context, logger);
  app.use(requestLog(logger));
  app.use(problemResponses(problems));

  // Every method Node parses counts as implemented: the router's default list would answer TRACE or
  // PURGE on an existing path with 501 Not Implemented instead of 405 with what the path allows.
  const router = new Router({ methods: [...METHODS] });
  for (const routes of [...routers, ...(docs ? [docsRoutes(docs.title, docs.document)] : [])]) router.use(routes.routes());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
