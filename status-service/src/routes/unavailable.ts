import Router from '@koa/router';
import { HttpProblem } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import { UnavailableParams } from '../schemas.ts';
import type { StatusReporter } from '../status-report.ts';

/** Where, behind the gateway, a client sees which replicas are up. */
const STATUS_URL = '/statussvc/status';
/**
 * The methods a client may have used on the app's path (the gateway forwards them as they came); the
 * OpenAPI document declares the same. Any other (TRACE, QUERY…) gets 405, as it would from a replica.
 */
export const UNAVAILABLE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** Traefik's replacePath keeps the path the client asked for in this header. */
const CLIENT_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%\/-]{0,1023}$/;

/**
 * The gateway's answer when no replica of an app can take a request (its fallback router and its
 * errors middleware both ask here): always 503 problem+json, with the counts the status view knows.
 */
export function unavailableRoutes(reporter: StatusReporter): Router {
  const router = new Router();
  router.register('/unavailable/:appName', [...UNAVAILABLE_METHODS], (ctx) => {
    const { appName } = parseInput(UnavailableParams, ctx.params, 'path');
    const { total, running, healthy } = reporter.summary(appName);
    const seen = reporter.docker.reachable ? '' : ' (as last seen: the Docker Engine is unreachable)';
    const replacedPath = ctx.get('X-Replaced-Path');
    throw new HttpProblem({
      status: 503,
      kind: 'no-replica-available',
      title: 'Service Unavailable',
      detail: `No ${appName} replica can answer right now: ${total} known, ${running} running, ${healthy} healthy${seen}. See ${STATUS_URL} for each replica's state.`,
      extensions: { appName, known: total, running, healthy, statusUrl: STATUS_URL },
      headers: { 'Retry-After': '5', 'Cache-Control': 'no-store' },
      ...(CLIENT_PATH.test(replacedPath) ? { instance: replacedPath } : {}),
    });
  });
  return router;
}
