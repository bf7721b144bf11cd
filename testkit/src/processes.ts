import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/** A port of 127.0.0.1 nothing listens on: bound once to get it from the OS, then released. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServerProcess {
  url: string;
  /** What it wrote to stdout up to and including its "listening" line: the start-up log. */
  startupLog: string;
  exit: Promise<{ code: number | null; stderr: string }>;
  kill: (signal: NodeJS.Signals) => void;
}

/** Runs a service's real entry point, as `npm start` does, on a free port, and waits until it listens. */
export async function startServerProcess(entry: string, env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exit = once(child, 'exit').then(([code]) => ({ code: code as number | null, stderr }));
  let stdout = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      stdout += chunk;
      const listening = stdout.split('\n').find((line) => line.includes('"msg":"listening"'));
      if (!listening) return;
      // The rest is drained unread, so a chatty server never blocks on a full pipe.
      child.stdout.off('data', onData).resume();
      resolve(JSON.parse(listening).port);
    };
    child.stdout.on('data', onData);
    void exit.then(({ code }) => reject(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });
  return { url: `http://127.0.0.1:${port}`, startupLog: stdout, exit, kill: (signal) => child.kill(signal) };
}

/** Runs a service's entry point expecting it to refuse to start. */
export async function runUntilExit(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stderr };
}
