import type { Context, Middleware, Next } from 'koa';
import { HttpProblem } from 'service-kit/problem';
import type { FaultInjector } from '../faults.ts';

/**
 * A slow or failing replica on demand (PUT /faults): every data and order request waits, and a share
 * fails, before it reads or writes anything. With fault injection off (production) there is no step at all.
 */
export function faultInjection(faults: FaultInjector | undefined, replicaId: string): Middleware[] {
  if (!faults) return [];
  return [
    async (_ctx: Context, next: Next) => {
      if ((await faults.beforeDataResponse()) === 'fail') {
        throw new HttpProblem({
          status: 500,
          kind: 'injected-fault',
          title: 'Injected fault',
          detail: `Replica ${replicaId} failed this request on purpose (fault injection, failRate ${faults.current.failRate}).`,
        });
      }
      await next();
    },
  ];
}
