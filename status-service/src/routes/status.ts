import Router from '@koa/router';
import { HttpProblem } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import { StatusQuery } from '../schemas.ts';
import type { StatusFilter, StatusReporter } from '../status-report.ts';

/** Seconds a client should wait before asking again while the Docker Engine is unreachable. */
const RETRY_AFTER_SECONDS = '2';

function dockerUnreachable(reporter: StatusReporter, filter: StatusFilter, now: number): HttpProblem {
  const docker = reporter.docker;
  const ageSeconds = Math.max(0, Math.round((now - Date.parse(docker.since)) / 1000));
  const lastKnown = docker.lastSyncAt ? reporter.report(filter) : null;
  const seen = lastKnown
    ? ` The containers in lastKnown are as seen ${ageSeconds} s ago, when it was last reachable.`
    : ' It has not been reachable since this service started, so no containers are known.';
  return new HttpProblem({
    status: 503,
    kind: 'docker-unreachable',
    title: 'Docker Engine unreachable',
    detail: `The Docker Engine at ${docker.endpoint} cannot be reached: ${docker.error ?? 'unknown reason'}.${seen} Reconnecting.`,
    extensions: { docker, lastKnownAgeSeconds: lastKnown ? ageSeconds : null, lastKnown },
    headers: { 'Retry-After': RETRY_AFTER_SECONDS },
  });
}

/** GET /status: the assembly's containers from the live view; no Docker call happens per request. */
export function statusRoutes(reporter: StatusReporter, now: () => number): Router {
  const router = new Router();
  router.get('/status', (ctx) => {
    const filter = parseInput(StatusQuery, ctx.query, 'query');
    ctx.set('Cache-Control', 'no-store');
    if (!reporter.docker.reachable) throw dockerUnreachable(reporter, filter, now());
    if (!filter.id) {
      ctx.body = reporter.report(filter);
      return;
    }
    const matches = reporter.matching(filter.id, filter.appName);
    const scope = filter.appName ? ` of app "${filter.appName}"` : '';
    const [container] = matches;
    if (!container) {
      throw new HttpProblem({
        status: 404,
        kind: 'container-not-found',
        title: 'Not Found',
        detail: `No container${scope} has an id starting with "${filter.id}".`,
      });
    }
    if (matches.length > 1) {
      throw new HttpProblem({
        status: 400,
        kind: 'ambiguous-container-id',
        title: 'Bad Request',
        detail: `"${filter.id}" is the start of ${matches.length} containers' ids${scope}; give more of the id.`,
        extensions: { candidates: matches.map((match) => ({ id: match.id, name: match.name })) },
      });
    }
    const { observedAt, docker } = reporter.report({ id: filter.id });
    ctx.body = { observedAt, docker, container };
  });
  return router;
}
