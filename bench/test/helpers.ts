import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from 'testkit/processes';
import { DEFAULTS, type LoadOptions } from '../src/options.ts';

const STORAGE_ENTRY = fileURLToPath(new URL('../../storage-service/src/server.ts', import.meta.url));
export const CLI_ENTRY = fileURLToPath(new URL('../src/loadtest.ts', import.meta.url));

/** A real storage replica (its `npm start` entry point, a store of its own seeded with the shipped data) on a free port of 127.0.0.1. */
export const startReplica = (replicaId: string): Promise<ServerProcess> =>
  startServerProcess(STORAGE_ENTRY, { REPLICA_ID: replicaId, STORE_PATH: join(mkdtempSync(join(tmpdir(), 'bench-replica-')), 'store.sqlite') });

/** Load options straight at one replica (no gateway prefix); the rest as the CLI's defaults. */
export const directOptions = (url: string, overrides: Partial<LoadOptions>): LoadOptions => ({
  workload: 'read',
  url,
  prefix: '',
  connections: DEFAULTS.connections,
  durationSeconds: null,
  amount: null,
  rate: null,
  p: DEFAULTS.p,
  timeoutSeconds: DEFAULTS.timeoutSeconds,
  ...overrides,
});

export { freePort } from 'testkit/processes';

/** Runs the CLI as `npm run loadtest -- …` would, to its exit. */
export async function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}
