import Router from '@koa/router';
import { invalidInput, parseInput } from 'service-kit/validation';
import { HistoryQuery } from '../schemas.ts';
import type { UptimeHistory } from '../uptime-history.ts';

const DAY_MS = 86_400_000;

/** What the schema cannot know about `since`: the clock and the retention. */
const badSince = (message: string) => invalidInput('query', [{ path: 'since', message }]);

/** GET /status/history: availability and incidents of the containers over a window that ends now. */
export function historyRoutes(history: UptimeHistory, now: () => number): Router {
  const router = new Router();
  router.get('/status/history', (ctx) => {
    const { appName, id, since } = parseInput(HistoryQuery, ctx.query, 'query');
    const until = now();
    const start = since === undefined ? until - DAY_MS : Date.parse(since);
    if (start > until) throw badSince(`is in the future (now is ${new Date(until).toISOString()})`);
    const oldest = history.oldest(until);
    if (start < oldest) throw badSince(`is before ${new Date(oldest).toISOString()}: the history is kept for STATUS_HISTORY_DAYS days`);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = history.report({ appName, id }, { since: start, until });
  });
  return router;
}
