import { createServer } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { listen, readAnswers } from './answers-file.ts';

/**
 * What the framework alone costs: Koa and @koa/router on storage-service's read routes, answering the
 * same fixed bytes per path as bare-server.ts, and nothing else (no validation, ids, log or store).
 * `node bench/src/koa-server.ts ANSWERS.json` (answers-file.ts); any other path answers 404.
 */
const answers = readAnswers('node bench/src/koa-server.ts ANSWERS.json');

const router = new Router();
router.get(['/data', '/data/:partitionKey', '/data/:partitionKey/:id'], (ctx) => {
  const answer = answers.get(ctx.url);
  if (!answer) return;
  ctx.set('Content-Type', answer.type);
  ctx.body = answer.bytes;
});
const app = new Koa();
app.use(router.routes());
listen(createServer(app.callback()));
