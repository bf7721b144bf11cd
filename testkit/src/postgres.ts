import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from 'testkit/processes';

const exec = promisify(execFile);

/** Long enough for a cold initdb on a busy CI machine; short enough that a broken image fails the run. */
const READY_TIMEOUT_MS = 60_000;

async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: timeoutMs, maxBuffer: 16 << 20 });
  return stdout.trim();
}

/** The log tail that explains a server that never came up (a bad image, a wrong password, a full disk). */
async function logTail(container: string): Promise<string> {
  try {
    const { stdout, stderr } = await exec('docker', ['logs', '--tail', '30', container], { timeout: 10_000 });
    return `${stdout}${stderr}`.trim();
  } catch (error) {
    return `(docker logs failed: ${error instanceof Error ? error.message : String(error)})`;
  }
}

/**
 * Waits for a real login and `SELECT 1`, not a TCP connect: docker-proxy accepts connections before
 * PostgreSQL listens, and the image's entrypoint runs a socket-only server during initdb first.
 */
async function waitUntilReady(url: string, container: string): Promise<void> {
  const started = performance.now();
  let delayMs = 50;
  let last = 'no attempt yet';
  while (performance.now() - started < READY_TIMEOUT_MS) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {}); // a reset during start-up would otherwise be an unhandled 'error'
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      last = error instanceof Error ? error.message || error.constructor.name : String(error);
    } finally {
      await client.end().catch(() => {});
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 500);
  }
  throw new Error(
    `PostgreSQL in container ${container} did not accept a login within ${READY_TIMEOUT_MS / 1000} s ` +
      `(last error: ${last}); docker logs --tail 30:\n${await logTail(container)}`,
  );
}

/** A disposable PostgreSQL server in a container of its own; see startPostgres(). */
export interface PostgresServer {
  /** Superuser URL of the `postgres` database: postgres://postgres:…@127.0.0.1:PORT/postgres */
  readonly adminUrl: string;
  readonly container: string;
  readonly port: number;
  /** A fresh, empty database and its URL: tests sharing one server never see each other's tables or locks. */
  createDatabase(): Promise<string>;
  /** `docker stop`: connections are refused (not hung) until startContainer(). Data is kept. */
  stopContainer(): Promise<void>;
  /** `docker start`, then waits until a login succeeds again, on the same port. */
  startContainer(): Promise<void>;
  restartContainer(): Promise<void>;
  /** `docker pause`: the port still accepts TCP but the server never answers, as a hung database does. */
  pause(): Promise<void>;
  unpause(): Promise<void>;
  /** Removes the container and its data volume. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL (POSTGRES_IMAGE, default the official `postgres:17`) and waits until it accepts a
 * login. The host port is chosen here rather than by Docker so that it survives `docker stop`/`start`.
 * PGDATA is not a tmpfs: a tmpfs is emptied on `docker stop`, and stopContainer() promises data is kept;
 * fsync is off instead, which is safe because the host's page cache outlives the container. `durable`
 * keeps PostgreSQL's own settings (every commit flushed to disk), for a benchmark to compare with a store
 * that flushes its commits too.
 */
export async function startPostgres({ durable = false }: { durable?: boolean } = {}): Promise<PostgresServer> {
  const image = process.env.POSTGRES_IMAGE ?? 'postgres:17';
  const password = randomBytes(18).toString('hex');
  const port = await freePort();
  const container = `assembly-test-pg-${process.pid}-${randomBytes(4).toString('hex')}`;
  const urlOf = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  const adminUrl = urlOf('postgres');

  let removed = false;
  const stop = async () => {
    if (removed) return;
    removed = true;
    // -v: the image declares PGDATA a volume; without it every run would leave an anonymous volume behind.
    await docker(['rm', '-f', '-v', container]).catch(() => {});
  };
  try {
    await docker([
      'run', '-d', '--name', container, '--label', 'assembly.test=postgres',
      '-e', `POSTGRES_PASSWORD=${password}`, '-p', `127.0.0.1:${port}:5432`,
      image, ...(durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
    ]);
    await waitUntilReady(adminUrl, container);
  } catch (error) {
    // The error already carries docker's message or the logs; a half-started container helps nobody.
    await stop();
    throw error;
  }

  let databases = 0;
  return {
    adminUrl,
    container,
    port,
    async createDatabase() {
      const name = `test_${++databases}_${randomBytes(4).toString('hex')}`;
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return urlOf(name);
    },
    async stopContainer() {
      await docker(['stop', container]);
    },
    async startContainer() {
      await docker(['start', container]);
      await waitUntilReady(adminUrl, container);
    },
    async restartContainer() {
      await docker(['restart', container]);
      await waitUntilReady(adminUrl, container);
    },
    async pause() {
      await docker(['pause', container]);
    },
    async unpause() {
      await docker(['unpause', container]);
    },
    stop,
  };
}
