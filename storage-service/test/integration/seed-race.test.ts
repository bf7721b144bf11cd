import { spawn } from 'node:child_process';
import { once } from 'node:events';
import test from 'ava';
import { SERVER_ENTRY, tempStorePath } from '../helpers.ts';

// In the integration suite: several real processes start at the same moment on one new store file.

interface Started {
  url: string;
  lines: Array<Record<string, unknown>>;
}

/** Starts the entry point and resolves once it listens, with the log lines it wrote by then. */
function startReplica(env: Record<string, string>, stop: Array<() => void>): Promise<Started> {
  const child = spawn(process.execPath, [SERVER_ENTRY], { env: { PATH: process.env.PATH, PORT: '0', METRICS_PORT: '0', GRPC_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  stop.push(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const lines = stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
      const listening = lines.find((line) => line.msg === 'listening');
      if (listening) resolve({ url: `http://127.0.0.1:${listening.port}`, lines });
    });
    void once(child, 'exit').then(([code]) => reject(new Error(`replica exited with ${code} before listening: ${stderr}`)));
  });
}

test('six replicas starting together on a new store file: one seeds it, all serve the same data', async (t) => {
  const STORE_PATH = await tempStorePath(t);
  const stop: Array<() => void> = [];
  t.teardown(() => stop.forEach((kill) => kill()));
  const replicas = await Promise.all(Array.from({ length: 6 }, (_, i) => startReplica({ STORE_PATH, REPLICA_ID: `replica-${i}` }, stop)));
  const seeders = replicas.filter(({ lines }) => lines.some((line) => line.msg === 'store seeded from the data file'));
  t.is(seeders.length, 1);
  const listings = await Promise.all(replicas.map(async ({ url }) => (await fetch(`${url}/data/products`)).text()));
  t.is(new Set(listings).size, 1);
  t.is(JSON.parse(listings[0]!).ids.length, 24);
});
