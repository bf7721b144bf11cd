import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { KEEP_ALIVE_TIMEOUT_MS } from 'service-kit/server';
import { discoverCatalog } from './discovery.ts';
import { getRaw } from './server-process.ts';

/**
 * The answers file of the fixed-answer servers (bare-server.ts, koa-server.ts):
 * { "<path>": { "contentType": …, "body": <base64> } }, storage-service's exact answers.
 */
export type AnswersFile = Record<string, { contentType: string; body: string }>;

export interface FixedAnswer {
  type: string;
  bytes: Buffer;
}

/**
 * Writes `file` with every path the read workloads can ask storage-service at `base` for (discovery's
 * too) and its exact answer; the paths of the listings and of the items.
 */
export async function recordAnswers(base: string, file: string): Promise<{ listingPaths: string[]; itemPaths: string[] }> {
  const catalog = await discoverCatalog(base, 10_000);
  const listingPaths = catalog.partitions.map(({ key }) => `/data/${encodeURIComponent(key)}`);
  const itemPaths = catalog.partitions.flatMap(({ key, ids }) => ids.map((id) => `/data/${encodeURIComponent(key)}/${encodeURIComponent(id)}`));
  const answers: AnswersFile = {};
  for (const path of ['/data', ...listingPaths, ...itemPaths]) {
    const answer = await getRaw(`${base}${path}`);
    if (answer.status !== 200) throw new Error(`GET ${path} on storage-service answered ${answer.status}`);
    answers[path] = { contentType: answer.contentType, body: answer.body.toString('base64') };
  }
  await writeFile(file, JSON.stringify(answers));
  return { listingPaths, itemPaths };
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
