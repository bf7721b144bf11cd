import Router from '@koa/router';
import type { FaultInjector } from '../faults.ts';
import type { Health } from '../schemas.ts';

/** `/healthz` is what Traefik and Docker probe; `/health` answers the same for older clients. */
export function healthRoutes(replicaId: string, now: () => number, faults: FaultInjector | undefined): Router {
  const startedAt = now();
  const router = new Router();
  router.get(['/healthz', '/health'], (ctx) => {
    const unhealthy = faults?.unhealthy ?? false;
    const health: Health = {
      status: unhealthy ? 'unhealthy' : 'ok',
      replica: replicaId,
      uptimeSeconds: Math.floor((now() - startedAt) / 1000),
    };
    ctx.status = unhealthy ? 503 : 200;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = health;
  });
  return router;
}
