import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds, rssMiB } from './usage.ts';

/** A port of 127.0.0.1 nothing listens on: bound once to get it from the OS, then released. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** A server running as a Node process of its own: a service's entry point, or a benchmark's bare server. */
export interface ServerProcess {
  pid: number;
  url: string;
  /** The port its "listening" line names as grpcPort (a storage replica's gRPC API); undefined for others. */
  grpcPort?: number;
  /** Spawn → the "listening" line's own timestamp (or the first 200 of /healthz), in ms. */
  startupMs: number;
  /** What it wrote to stdout up to and including its "listening" line: the start-up log. */
  startupLog: string;
  exit: Promise<{ code: number | null; stderr: string }>;
  kill: (signal: NodeJS.Signals) => void;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
  stop: () => Promise<void>;
  /** CPU time it has used so far, every thread, user and system, in seconds (/proc/<pid>/stat). */
  cpuSeconds: () => Promise<number>;
  /** Its resident memory now, MiB (/proc/<pid>/status). */
  rssMiB: () => Promise<number>;
}

export interface ServerProcessOptions {
  args?: string[];
  /**
   * Where stdout goes: a file, for a process that writes a line per request under load (this process
   * never has a pipe to drain); without it, a pipe read up to the "listening" line and drained after.
   */
  stdoutFile?: string;
  /** A fixed port, for a process whose log level hides its "listening" line: it serves once GET /healthz answers 200. */
  port?: number;
  timeoutMs?: number;
}

const LISTENING = '"msg":"listening"';

async function healthz(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
    async (res) => (await res.arrayBuffer(), res.status === 200),
    () => false,
  );
}

/**
 * Runs `node entry ...args`, as `npm start` or a container does, on a free port (PORT=0) unless `port`
 * says which (its metrics and gRPC ports too: METRICS_PORT=0 and GRPC_PORT=0 unless `env` says which),
 * and waits until it serves: its pino "listening" line names the port and the time. Rejects with its
 * stderr if it exits first or does not serve within `timeoutMs`.
 */
export async function startServerProcess(entry: string, env: Record<string, string> = {}, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const { args = [], stdoutFile, port: fixedPort, timeoutMs = 120_000 } = options;
  const out = stdoutFile ? await open(stdoutFile, 'w') : undefined;
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [entry, ...args], {
    env: { PATH: process.env.PATH, PORT: String(fixedPort ?? 0), METRICS_PORT: '0', GRPC_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', out?.fd ?? 'pipe', 'pipe'],
  });
  await out?.close(); // the child has its own copy of the descriptor
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk).slice(-8000)));
  let exited = false;
  const exit = once(child, 'exit').then(([code]) => ((exited = true), { code: code as number | null, stderr }));
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };

  let piped = '';
  const onData = (chunk: Buffer) => {
    piped += chunk;
    // The rest is drained unread, so a chatty server never blocks on a full pipe.
    if (piped.includes(LISTENING)) child.stdout!.off('data', onData).resume();
  };
  child.stdout?.on('data', onData);
  const startupLog = async () => (stdoutFile ? await readFile(stdoutFile, 'utf8') : piped);

  try {
    for (;;) {
      const log = await startupLog();
      const line = log.split('\n').find((text) => text.includes(LISTENING));
      const serving = line ? (JSON.parse(line) as { port: number; grpcPort?: number; time: number }) : fixedPort !== undefined && (await healthz(fixedPort)) ? { port: fixedPort, time: Date.now() } : undefined;
      if (serving) {
        const pid = child.pid!;
        return {
          pid,
          url: `http://127.0.0.1:${serving.port}`,
          ...('grpcPort' in serving && serving.grpcPort !== undefined ? { grpcPort: serving.grpcPort } : {}),
          startupMs: serving.time - spawnedAt,
          startupLog: line ? log.slice(0, log.indexOf(line) + line.length + 1) : log,
          exit,
          kill: (signal) => child.kill(signal),
          stop,
          cpuSeconds: () => cpuSeconds(pid),
          rssMiB: () => rssMiB(pid),
        };
      }
      if (exited) throw new Error(`${entry} exited with ${(await exit).code} before listening: ${stderr.trim() || '(no stderr)'}`);
      if (Date.now() - spawnedAt > timeoutMs) throw new Error(`${entry} did not listen within ${timeoutMs / 1000} s`);
      await sleep(10);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Runs a service's entry point expecting it to refuse to start. */
export async function runUntilExit(entry: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH, PORT: '0', METRICS_PORT: '0', GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stderr };
}
