import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import { HttpProblem } from 'service-kit/problem';
import { parseInput } from 'service-kit/validation';
import type { FaultInjector } from '../faults.ts';
import { Faults } from '../schemas.ts';

/** Only mounted when FAULTS_ENABLED=true; otherwise /faults is an unknown route like any other. */
export function faultRoutes(faults: FaultInjector): Router {
  const router = new Router();
  const readJson = bodyParser({
    enableTypes: ['json'],
    jsonLimit: '4kb',
    encoding: 'utf-8',
    onError: (err) => {
      const tooLarge = (err as { status?: number }).status === 413;
      throw new HttpProblem({
        status: tooLarge ? 413 : 400,
        kind: tooLarge ? 'body-too-large' : 'invalid-json',
        title: tooLarge ? 'Content Too Large' : 'Bad Request',
        detail: tooLarge ? 'The faults body is limited to 4 kB.' : `The body is not valid JSON: ${err.message}`,
      });
    },
  });

  router.get('/faults', (ctx) => {
    ctx.body = faults.current;
  });

  router.put(
    '/faults',
    async (ctx, next) => {
      if (!ctx.is('application/json')) {
        throw new HttpProblem({
          status: 415,
          kind: 'unsupported-media-type',
          title: 'Unsupported Media Type',
          detail: 'PUT /faults takes a JSON body with Content-Type: application/json.',
        });
      }
      await next();
    },
    readJson,
    (ctx) => {
      faults.set(parseInput(Faults, ctx.request.body, 'faults'));
      ctx.log.warn({ faults: faults.current }, 'faults injected');
      ctx.body = faults.current;
    },
  );

  router.delete('/faults', (ctx) => {
    faults.clear();
    ctx.log.info('faults cleared');
    ctx.body = faults.current;
  });

  return router;
}
