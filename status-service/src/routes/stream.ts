import Router from '@koa/router';
import { HttpProblem } from 'service-kit/problem';
import type { StatusStream } from '../status-stream.ts';

/** GET /status/stream: the status report as server-sent events, again after every change. */
export function streamRoutes(stream: StatusStream): Router {
  const router = new Router();
  router.get('/status/stream', (ctx) => {
    const events = stream.subscribe();
    if (!events) {
      throw new HttpProblem({
        status: 503,
        kind: 'too-many-subscribers',
        title: 'Service Unavailable',
        detail: `The live stream has ${stream.clientCount} subscribers, its limit; poll /status instead or try again later.`,
        headers: { 'Retry-After': '30' },
      });
    }
    // The stream lives until the client leaves: no socket timeout, every event sent at once.
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.req.on('close', () => events.end());
    ctx.set({ 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    ctx.type = 'text/event-stream';
    ctx.body = events;
  });
  return router;
}
