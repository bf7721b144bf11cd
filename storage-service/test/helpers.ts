import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { createApp, type AppDependencies } from '../src/app.ts';
import { createDataStore } from '../src/data-store.ts';
import { createLogger } from '../src/logger.ts';
import type { DataFile } from '../src/schemas.ts';

export const SERVER_ENTRY = fileURLToPath(new URL('../src/server.ts', import.meta.url));

export const sampleData: DataFile = {
  products: {
    'p-1': { name: 'Kettle', price: { amount: 79, currency: 'EUR' }, quantity: 4 },
    'p-2': { name: 'Grinder', price: { amount: 149, currency: 'EUR' }, quantity: 0 },
  },
  users: { 'u-1': { name: 'Ada Lovelace', tags: ['admin'] } },
  empty: {},
};

/** Log lines the app wrote, parsed, for assertions on what operators would see. */
export function captureLogs(): { logger: AppDependencies['logger']; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines };
}

export interface RunningApp {
  url: string;
  lines: Array<Record<string, unknown>>;
  close: () => Promise<void>;
}

/** Serves the app on an ephemeral port of 127.0.0.1, as the real server would. */
export async function startApp(overrides: Partial<AppDependencies> = {}): Promise<RunningApp> {
  const { logger, lines } = captureLogs();
  const app = createApp({
    config: { appEnv: 'production', replicaId: 'replica-test' },
    store: createDataStore(sampleData),
    logger,
    ...overrides,
  });
  const server: Server = createServer(app.callback());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    lines,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface ServerProcess {
  url: string;
  exit: Promise<{ code: number | null; stderr: string }>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Runs the real entry point, as `npm start` does, and waits until it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exit = once(child, 'exit').then(([code]) => ({ code: code as number | null, stderr }));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const listening = stdout.split('\n').find((line) => line.includes('"msg":"listening"'));
      if (listening) resolve(JSON.parse(listening).port);
    });
    void exit.then(({ code }) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  return { url: `http://127.0.0.1:${port}`, exit, kill: (signal) => child.kill(signal) };
}

/** Runs the entry point expecting it to refuse to start. */
export async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stderr };
}

export const PROBLEM_TYPE = 'application/problem+json';

/** A JSON body for assertions; `any` keeps the tests about values, not types. */
export const json = async (res: Response): Promise<any> => res.json();

/**
 * A plain GET through node:http, for conditional requests: fetch adds `Cache-Control: no-cache` to
 * them, which rightly disables 304 answers.
 */
export function plainGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}
