import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { captureLogs as captureServiceLogs } from 'testkit/logs';
import { serve } from 'testkit/serve';
import { runUntilExit as runEntryPointUntilExit, startServerProcess as startEntryPoint } from 'testkit/processes';
import { createApp, type AppDependencies } from '../src/app.ts';
import { openSqliteStore, type SqliteStoreOptions } from '../src/store/sqlite/sqlite-store.ts';
import type { SeedData, Store } from '../src/store/store.ts';
import { sampleData } from './store-contract.ts';

export const SERVER_ENTRY = fileURLToPath(new URL('../src/server.ts', import.meta.url));

/** A new folder for a store file, removed when the test ends. */
export async function tempStorePath(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'storage-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'storage.sqlite');
}

export interface TestStore {
  store: Store;
  path: string;
}

/** A store on a file of its own, seeded with `data` (sampleData unless given), closed when the test ends. */
export async function openTestStore(
  t: ExecutionContext,
  { data = sampleData, ...options }: Partial<SqliteStoreOptions> & { data?: SeedData } = {},
): Promise<TestStore> {
  const path = options.path ?? (await tempStorePath(t));
  const store = await openSqliteStore({ idempotencyTtlMs: 86_400_000, ...options, path });
  t.teardown(() => store.close());
  await store.seed(data);
  return { store, path };
}

/** Log lines the app wrote, parsed, for assertions on what operators would see. */
export const captureLogs = () => captureServiceLogs('storage-service');

export interface RunningApp {
  url: string;
  lines: Array<Record<string, unknown>>;
  store: Store;
}

export const TEST_CONFIG = { appEnv: 'production', replicaId: 'replica-test', bodyLimitBytes: 1024 * 1024 } as const;

/** Serves the app on an ephemeral port of 127.0.0.1, as the real server would, over a store of its own (sampleData). */
export async function startApp(t: ExecutionContext, overrides: Partial<AppDependencies> = {}): Promise<RunningApp> {
  const { logger, lines } = captureLogs();
  const store = overrides.store ?? (await openTestStore(t)).store;
  const app = createApp({ config: TEST_CONFIG, store, logger, ...overrides });
  const { url, close } = await serve(app.callback());
  t.teardown(close);
  return { url, lines, store };
}

/** Runs the real entry point, as `npm start` does, on a store file of the test's own unless STORE_PATH is given, and waits until it listens. */
export async function startServerProcess(t: ExecutionContext, env: Record<string, string> = {}) {
  const server = await startEntryPoint(SERVER_ENTRY, { STORE_PATH: await tempStorePath(t), ...env });
  t.teardown(() => server.kill('SIGKILL'));
  return server;
}

/** Runs the entry point expecting it to refuse to start. */
export const runUntilExit = async (t: ExecutionContext, env: Record<string, string>) =>
  runEntryPointUntilExit(SERVER_ENTRY, { STORE_PATH: await tempStorePath(t), ...env });

export const PROBLEM_TYPE = 'application/problem+json';

/** A JSON body for assertions; `any` keeps the tests about values, not types. */
export const json = async (res: Response): Promise<any> => res.json();

/** A request with a JSON body. */
export const withJson = (method: string, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
