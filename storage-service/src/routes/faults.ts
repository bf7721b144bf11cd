import Router from '@koa/router';
import { parseInput } from 'service-kit/validation';
import type { FaultInjector } from '../faults.ts';
import { readJsonBody } from '../http/json-body.ts';
import { Faults } from '../schemas.ts';

/** A faults body is a handful of fields. */
const FAULTS_BODY_LIMIT_BYTES = 4096;

/** Only mounted when FAULTS_ENABLED=true; otherwise /faults is an unknown route like any other. */
export function faultRoutes(faults: FaultInjector): Router {
  const router = new Router();

  router.get('/faults', (ctx) => {
    ctx.body = faults.current;
  });

  router.put('/faults', async (ctx) => {
    faults.set(parseInput(Faults, await readJsonBody(ctx, FAULTS_BODY_LIMIT_BYTES), 'faults'));
    ctx.log.warn({ faults: faults.current }, 'faults injected');
    ctx.body = faults.current;
  });

  router.delete('/faults', (ctx) => {
    faults.clear();
    ctx.log.info('faults cleared');
    ctx.body = faults.current;
  });

  return router;
}
