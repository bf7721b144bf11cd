import Router from '@koa/router';
import type { Context } from 'koa';
import { HttpProblem, type ProblemInit } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import { GatewayAnswerParams, UnavailableParams } from '../schemas.ts';
import type { StatusReporter } from '../status-report.ts';

/** Where, behind the gateway, a client sees which replicas are up. */
const STATUS_URL = '/statussvc/status';
/**
 * The methods a client may have used on the path the gateway answers for (it forwards them as they
 * came); the OpenAPI document declares the same. Any other (TRACE, QUERY…) gets 405, as it would from a replica.
 */
export const GATEWAY_ANSWER_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const CLIENT_PATH = /^\/[A-Za-z0-9._~!$&'()*+,;=:@%\/-]{0,1023}$/;

/**
 * The path the client asked for, as the gateway passes it on: replacePath keeps it in X-Replaced-Path,
 * the errors middleware sends the whole URL as `?url=`. Undefined when neither holds a sane path: then
 * no `instance` is claimed.
 */
function askedPath(ctx: Context): string | undefined {
  const replaced = ctx.get('X-Replaced-Path');
  if (CLIENT_PATH.test(replaced)) return replaced;
  const url = typeof ctx.query.url === 'string' && URL.canParse(ctx.query.url) ? new URL(ctx.query.url) : undefined;
  return url && CLIENT_PATH.test(url.pathname) ? url.pathname + url.search : undefined;
}

const instanceOf = (path: string | undefined) => (path === undefined ? {} : { instance: path });

/**
 * What the gateway answers by itself, as problem+json like every other answer of the assembly: the
 * gateway's routers and errors middlewares ask here (traefik/dynamic/gateway.yml), and only they can:
 * the public router to this service leaves these paths out.
 * - `/unavailable/{appName}`: no replica of the app can take the request; always 503.
 * - `/gateway/404`: no route of the gateway matches; `/gateway/401`: the dashboard's login failed;
 *   `/gateway/429`: the client's rate limit is used up, or the storage service is at the in-flight limit (overload).
 * What a client sees is the gateway's: `instance` is the path it asked for, never these.
 */
export function gatewayAnswerRoutes(reporter: StatusReporter): Router {
  const router = new Router();

  router.register('/unavailable/:appName', [...GATEWAY_ANSWER_METHODS], (ctx) => {
    const { appName } = parseInput(UnavailableParams, ctx.params, 'path');
    const { total, running, healthy } = reporter.summary(appName);
    const seen = reporter.docker.reachable ? '' : ' (as last seen: the Docker Engine is unreachable)';
    throw new HttpProblem({
      status: 503,
      kind: 'no-replica-available',
      title: 'Service Unavailable',
      detail: `No ${appName} replica can answer right now: ${total} known, ${running} running, ${healthy} healthy${seen}. See ${STATUS_URL} for each replica's state.`,
      extensions: { appName, known: total, running, healthy, statusUrl: STATUS_URL },
      headers: { 'Retry-After': '5', 'Cache-Control': 'no-store' },
      ...instanceOf(askedPath(ctx)),
    });
  });

  /** The gateway's own answers by status; the client's path, when the gateway passed it on, is their `instance`. */
  const answers: Record<GatewayAnswerParams['status'], (asked: string) => Omit<ProblemInit, 'instance'>> = {
    '404': (asked) => ({ status: 404, kind: 'route-not-found', title: 'Not Found',
      detail: `No route of the gateway answers ${asked}. It serves /storagesvc/…, /statussvc/… and the status page at /.` }),
    // The gateway's error page replaces the whole answer: the challenge must come from here too.
    '401': () => ({ status: 401, kind: 'unauthorized', title: 'Unauthorized', headers: { 'WWW-Authenticate': 'Basic realm="traefik-dashboard"' },
      detail: "Traefik's dashboard and API need the login of TRAEFIK_DASHBOARD_USERS (basic auth)." }),
    '429': () => ({ status: 429, kind: 'too-many-requests', title: 'Too Many Requests', headers: { 'Retry-After': '1' },
      detail: 'The gateway takes no more requests right now: either this client sent more than its rate limit (GATEWAY_RATE_AVERAGE per second, bursts of GATEWAY_RATE_BURST), or the storage service already has as many in flight as the gateway lets through (GATEWAY_MAX_IN_FLIGHT). Retry after Retry-After.' }),
  };

  router.register('/gateway/:status', [...GATEWAY_ANSWER_METHODS], (ctx) => {
    const { status } = parseInput(GatewayAnswerParams, ctx.params, 'path');
    const path = askedPath(ctx);
    const answer = answers[status](path === undefined ? 'this request' : `${ctx.method} ${path}`);
    throw new HttpProblem({ ...answer, headers: { 'Cache-Control': 'no-store', ...answer.headers }, ...instanceOf(path) });
  });

  return router;
}
