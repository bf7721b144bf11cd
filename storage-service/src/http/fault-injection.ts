import type { Context, Middleware, Next } from 'koa';
import type { FaultInjector } from '../faults.ts';

/**
 * A slow or failing replica on demand (PUT /faults): every data and order request waits, and a share
 * fails (InjectedFault, a 500 problem), before it reads or writes anything. With fault injection off
 * (production) there is no step at all.
 */
export function faultInjection(faults: FaultInjector | undefined, replicaId: string): Middleware[] {
  if (!faults) return [];
  return [
    async (_ctx: Context, next: Next) => {
      await faults.beforeDataResponse(replicaId);
      await next();
    },
  ];
}
