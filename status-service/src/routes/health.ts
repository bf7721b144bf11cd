import Router from '@koa/router';
import type { Health } from '../schemas.ts';
import type { StatusReporter } from '../status-report.ts';

/**
 * `/healthz` (and `/health` for older clients): 200 as long as the process serves. An unreachable
 * Docker Engine makes it `degraded`, not failing: restarting this service would not bring Docker back.
 */
export function healthRoutes(reporter: StatusReporter, now: () => number): Router {
  const startedAt = now();
  const router = new Router();
  router.get(['/healthz', '/health'], (ctx) => {
    const { reachable, error } = reporter.docker;
    const health: Health = {
      status: reachable ? 'ok' : 'degraded',
      docker: { reachable, error },
      uptimeSeconds: Math.floor((now() - startedAt) / 1000),
    };
    ctx.set('Cache-Control', 'no-store');
    ctx.body = health;
  });
  return router;
}
