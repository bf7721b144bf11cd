import { createServer } from 'node:http';
import { listen, readAnswers } from './answers-file.ts';

/**
 * The practical limit for Node here: a bare node:http server answering fixed bytes per path.
 * `node bench/src/bare-server.ts ANSWERS.json` (answers-file.ts); any other path answers 404.
 */
const answers = readAnswers('node bench/src/bare-server.ts ANSWERS.json');

listen(
  createServer((req, res) => {
    const answer = answers.get(req.url ?? '');
    if (!answer) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    res.writeHead(200, { 'Content-Type': answer.type, 'Content-Length': answer.bytes.length }).end(answer.bytes);
  }),
);
