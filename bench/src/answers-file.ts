import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { KEEP_ALIVE_TIMEOUT_MS } from 'service-kit/server';

/**
 * The answers file of the fixed-answer servers (bare-server.ts, koa-server.ts):
 * { "<path>": { "contentType": …, "body": <base64> } }, storage-service's exact answers.
 */
export type AnswersFile = Record<string, { contentType: string; body: string }>;

export interface FixedAnswer {
  type: string;
  bytes: Buffer;
}

/** The answers named by the server's first argument, by path. */
export function readAnswers(usage: string): Map<string, FixedAnswer> {
  const file = process.argv[2];
  if (!file) throw new Error(`usage: ${usage}`);
  const answers = JSON.parse(readFileSync(file, 'utf8')) as AnswersFile;
  return new Map(Object.entries(answers).map(([path, a]) => [path, { type: a.contentType, bytes: Buffer.from(a.body, 'base64') }]));
}

/** Listens on PORT (0: any free port) with storage-service's keep-alive, and prints one JSON "listening" line as pino would. */
export function listen(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.listen(Number(process.env.PORT ?? 0), () => {
    process.stdout.write(`${JSON.stringify({ msg: 'listening', port: (server.address() as AddressInfo).port, time: Date.now() })}\n`);
  });
}
