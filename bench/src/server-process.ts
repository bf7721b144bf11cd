import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { open, readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** A server running as its own Node process, its stdout going to a file (never a pipe this process must drain). */
export interface NodeProcess {
  pid: number;
  url: string;
  /** Spawn → the "listening" line's own timestamp, in ms. */
  startupMs: number;
  stdoutFile: string;
  /** Resident memory of the process now, MiB (/proc/<pid>/status VmRSS). */
  rssMiB: () => Promise<number>;
  /** CPU time the process has used so far, every thread, user and system, in seconds (/proc/<pid>/stat). */
  cpuSeconds: () => Promise<number>;
  /** SIGTERM, then SIGKILL after 10 s; resolves once it exited. */
  stop: () => Promise<void>;
}

const STORAGE_ENTRY = fileURLToPath(new URL('../../storage-service/src/server.ts', import.meta.url));

/** Production-like settings of storage-service (its Dockerfile and docker-compose.yml's .env values). */
const PRODUCTION_ENV = { NODE_ENV: 'production', APP_ENV: 'production', LOG_LEVEL: 'info', FAULTS_ENABLED: 'false', REPLICA_ID: 'storage-bench' };

/** The JSON line `{"msg":"listening","port":…,"time":…}` (pino's format; bare-server.ts prints the same), if written yet. */
async function listeningLine(stdoutFile: string): Promise<{ port: number; time: number } | null> {
  const line = (await readFile(stdoutFile, 'utf8')).split('\n').find((text) => text.includes('"msg":"listening"'));
  return line ? (JSON.parse(line) as { port: number; time: number }) : null;
}

/** Whether GET /healthz answers 200 on that port now; the time it did. */
async function healthy(port: number): Promise<{ port: number; time: number } | null> {
  const answer = await getRaw(`http://127.0.0.1:${port}/healthz`).catch(() => null);
  return answer?.status === 200 ? { port, time: Date.now() } : null;
}

/**
 * Spawns `node entry ...args` with stdout appended to `stdoutFile` and waits until it serves: with PORT=0,
 * for its "listening" log line, which names the port; or, given `port` (for a process whose log level
 * hides that line), until GET /healthz answers 200 there. Rejects with the process's stderr if it exits
 * first or does not serve within `timeoutMs`.
 */
export async function startNodeProcess(
  entry: string,
  options: { args?: string[]; env?: Record<string, string>; stdoutFile: string; timeoutMs?: number; port?: number },
): Promise<NodeProcess> {
  const { args = [], env = {}, stdoutFile, timeoutMs = 120_000, port: fixedPort } = options;
  const out = await open(stdoutFile, 'w');
  const spawnedAt = Date.now();
  const child = spawn(process.execPath, [entry, ...args], {
    env: { PATH: process.env.PATH, PORT: String(fixedPort ?? 0), ...env },
    stdio: ['ignore', out.fd, 'pipe'],
  });
  await out.close(); // the child has its own copy of the descriptor
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk).slice(-4000)));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exit = once(child, 'exit').then(([code, signal]) => (exited = { code: code as number | null, signal: signal as NodeJS.Signals | null }));

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
  };

  try {
    const deadline = spawnedAt + timeoutMs;
    for (;;) {
      const serving = fixedPort === undefined ? await listeningLine(stdoutFile) : await healthy(fixedPort);
      if (serving) {
        const { port, time } = serving;
        return {
          pid: child.pid!,
          url: `http://127.0.0.1:${port}`,
          startupMs: time - spawnedAt,
          stdoutFile,
          rssMiB: () => rssMiB(child.pid!),
          cpuSeconds: () => cpuSeconds(child.pid!),
          stop,
        };
      }
      if (exited) {
        const { code, signal } = exited as { code: number | null; signal: NodeJS.Signals | null };
        throw new Error(`${entry} exited (${signal ?? `code ${code}`}) before listening: ${stderr.trim() || '(no stderr)'}`);
      }
      if (Date.now() > deadline) throw new Error(`${entry} did not listen within ${timeoutMs / 1000} s`);
      await sleep(10);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return Math.round((kB / 1024) * 10) / 10;
}

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 on every architecture Node runs on (sysconf is not in Node). */
const CLOCK_TICKS_PER_SECOND = 100;

export async function cpuSeconds(pid: number): Promise<number> {
  return cpuSecondsOf(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** utime + stime of a /proc/<pid>/stat line, in seconds. */
export function cpuSecondsOf(stat: string): number {
  // Fields after the command name, which is in parentheses and may hold spaces and parentheses: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const seconds = (Number(fields[14 - 3]) + Number(fields[15 - 3])) / CLOCK_TICKS_PER_SECOND;
  if (!Number.isFinite(seconds)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return seconds;
}

/** One GET, the body as bytes and the size of the header block as sent (status line and header lines). */
export function getRaw(url: string): Promise<{ status: number; contentType: string; body: Buffer; headerBytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        let headerBytes = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n\r\n`.length;
        for (let i = 0; i < res.rawHeaders.length; i += 2) headerBytes += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`.length;
        resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks), headerBytes });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * storage-service as production runs it (`env` adds to or overrides those settings), its log lines to
 * `stdoutFile`, on a store of its own beside that file, seeded from its DATA_FILE.
 */
export function startStorageService(options: { env?: Record<string, string>; stdoutFile: string; timeoutMs?: number; port?: number }): Promise<NodeProcess> {
  const storePath = join(dirname(options.stdoutFile), `store-${randomUUID()}.sqlite`);
  return startNodeProcess(STORAGE_ENTRY, { ...options, env: { ...PRODUCTION_ENV, STORE_PATH: storePath, ...options.env } });
}
