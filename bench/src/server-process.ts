import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServerProcess, type ServerProcess } from 'testkit/processes';

const STORAGE_ENTRY = fileURLToPath(new URL('../../storage-service/src/server.ts', import.meta.url));

/** Production-like settings of storage-service (its Dockerfile and docker-compose.yml's .env values). */
const PRODUCTION_ENV = { NODE_ENV: 'production', APP_ENV: 'production', LOG_LEVEL: 'info', FAULTS_ENABLED: 'false', REPLICA_ID: 'storage-bench' };

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
export function startStorageService({ env, ...options }: { env?: Record<string, string>; stdoutFile: string; timeoutMs?: number; port?: number }): Promise<ServerProcess> {
  const storePath = join(dirname(options.stdoutFile), `store-${randomUUID()}.sqlite`);
  return startServerProcess(STORAGE_ENTRY, { ...PRODUCTION_ENV, STORE_PATH: storePath, ...env }, options);
}
