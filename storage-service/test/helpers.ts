import { fileURLToPath } from 'node:url';
import { captureLogs as captureServiceLogs } from 'testkit/logs';
import { serve } from 'testkit/serve';
import { runUntilExit as runEntryPointUntilExit, startServerProcess as startEntryPoint } from 'testkit/processes';
import { createApp, type AppDependencies } from '../src/app.ts';
import { createDataStore } from '../src/data-store.ts';
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
export const captureLogs = () => captureServiceLogs('storage-service');

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
  const { url, close } = await serve(app.callback());
  return { url, lines, close };
}

/** Runs the real entry point, as `npm start` does, and waits until it listens. */
export const startServerProcess = (env: Record<string, string>) => startEntryPoint(SERVER_ENTRY, env);

/** Runs the entry point expecting it to refuse to start. */
export const runUntilExit = (env: Record<string, string>) => runEntryPointUntilExit(SERVER_ENTRY, env);

export const PROBLEM_TYPE = 'application/problem+json';

/** A JSON body for assertions; `any` keeps the tests about values, not types. */
export const json = async (res: Response): Promise<any> => res.json();
