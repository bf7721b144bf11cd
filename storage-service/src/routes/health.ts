import Router from '@koa/router';
import type { FaultInjector } from '../faults.ts';
import { readiness } from '../readiness.ts';
import type { Health } from '../schemas.ts';
import type { Store } from '../store/store.ts';

/**
 * `/healthz` is what Traefik probes (`/health` answers the same for older clients): 503 while the store
 * cannot serve, so the gateway routes around this replica until it can, with no restart; and 503 while
 * the replica drains before it stops, so the gateway sends it nothing new.
 */
export function healthRoutes(replicaId: string, store: Store, now: () => number, faults: FaultInjector | undefined, draining: () => boolean): Router {
  const startedAt = now();
  const router = new Router();
  router.get(['/healthz', '/health'], async (ctx) => {
    const { storeReachable, healthy, ready } = await readiness(store, faults, draining);
    const health: Health = {
      status: !healthy ? 'unhealthy' : ready ? 'ok' : 'draining',
      replica: replicaId,
      uptimeSeconds: Math.floor((now() - startedAt) / 1000),
      store: storeReachable ? 'reachable' : 'unreachable',
    };
    ctx.status = ready ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = health;
  });
  return router;
}
