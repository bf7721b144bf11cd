import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The practical limit for Node here: a bare node:http server answering fixed bytes per path.
 * `node bench/src/bare-server.ts ANSWERS.json`: ANSWERS.json is { "<path>": { "contentType": …, "body": <base64> } };
 * any other path answers 404. Listens on PORT (0: any free port) and prints one JSON "listening" line.
 */
type Answers = Record<string, { contentType: string; body: string }>;
const file = process.argv[2];
if (!file) throw new Error('usage: node bench/src/bare-server.ts ANSWERS.json');
const answers = new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Answers).map(([path, a]) => [path, { type: a.contentType, bytes: Buffer.from(a.body, 'base64') }]));

const server = createServer((req, res) => {
  const answer = answers.get(req.url ?? '');
  if (!answer) return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
  res.writeHead(200, { 'Content-Type': answer.type, 'Content-Length': answer.bytes.length }).end(answer.bytes);
});
server.keepAliveTimeout = 65_000; // as storage-service
server.listen(Number(process.env.PORT ?? 0), () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port, time: Date.now() })}\n`);
});
