import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from 'testkit/processes';

const exec = promisify(execFile);

/** The repository's root: docker-compose.yml and the env files are there. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `docker-compose` (1.29) where installed, else Compose v2's `docker compose`; E2E_COMPOSE overrides. */
function composeCommand(): string[] {
  if (process.env.E2E_COMPOSE) return process.env.E2E_COMPOSE.split(' ').filter(Boolean);
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return ['docker-compose'];
  } catch {
    return ['docker', 'compose'];
  }
}

/** Optional settings of a Stack (the e2e suite uses none; the benchmarks reuse it under a project of their own). */
export interface StackOptions {
  /** Compose project name; default E2E_PROJECT or assembly-e2e. */
  project?: string;
  /** Added to (and overriding) the stack's environment, e.g. STORAGE_REPLICAS or the gateway's rate limit. */
  env?: NodeJS.ProcessEnv;
  /** Override files after docker-compose.yml, e.g. docker-compose.postgres.yml. */
  overrides?: string[];
}

export interface Container {
  id: string;
  name: string;
  app: string;
}

/**
 * The assembly under test: docker-compose.yml with .env.dev, under a compose project of its own
 * (E2E_PROJECT, default assembly-e2e) on a free port of 127.0.0.1, so a dev stack on the same engine
 * is neither disturbed nor picked up. NODE_IMAGE and TRAEFIK_IMAGE pass through from the environment.
 */
export class Stack {
  readonly project: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly env: NodeJS.ProcessEnv;
  readonly #compose: string[];
  readonly #files: string[];

  private constructor(port: number, options: StackOptions = {}) {
    this.#files = ['docker-compose.yml', ...(options.overrides ?? [])];
    this.project = options.project ?? process.env.E2E_PROJECT ?? 'assembly-e2e';
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.#compose = composeCommand();
    // The shell's environment wins over the env file in both docker-compose 1.29 and Compose v2. The
    // project is given by `-p` alone, as a user would: nothing else tells the stack its name.
    const { COMPOSE_PROJECT_NAME: _ignored, ...inherited } = process.env;
    this.env = {
      ...inherited,
      GATEWAY_BIND: '127.0.0.1',
      GATEWAY_PORT: String(port),
      STORAGE_REPLICAS: '3',
      ...options.env,
    };
  }

  static async create(options: StackOptions = {}): Promise<Stack> {
    return new Stack(await freePort(), options);
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  composeArgs(args: string[]): [string, string[]] {
    const [command = 'docker-compose', ...pre] = this.#compose;
    return [command, [...pre, '--env-file', '.env.dev', '-p', this.project, ...this.#files.flatMap((file) => ['-f', file]), ...args]];
  }

  async compose(args: string[], timeoutMs = 600_000): Promise<string> {
    const [command, full] = this.composeArgs(args);
    const { stdout } = await exec(command, full, { cwd: ROOT, env: this.env, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout;
  }

  /** Label for containers a scenario runs outside compose (removed by downSync too). */
  get runLabel(): string {
    return `assembly-e2e.project=${this.project}`;
  }

  /** Synchronous, for signal handlers and the last-resort teardown. Never throws. */
  downSync(): void {
    try {
      const ids = execFileSync('docker', ['ps', '-aq', '--filter', `label=${this.runLabel}`], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
      if (ids.length) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
    } catch {
      // Ignored, as below.
    }
    const [command, full] = this.composeArgs(['down', '-v', '--remove-orphans', '--timeout', '5']);
    try {
      execFileSync(command, full, { cwd: ROOT, env: this.env, stdio: 'ignore', timeout: 120_000 });
    } catch {
      // Nothing more to do: the report says what is left.
    }
  }

  async containers(app?: string): Promise<Container[]> {
    const filters = ['--filter', `label=com.docker.compose.project=${this.project}`];
    if (app) filters.push('--filter', `label=assembly.app=${app}`);
    const { stdout } = await exec('docker', [
      'ps', '-a', '--no-trunc', ...filters, '--format', '{{.ID}}\t{{.Names}}\t{{.Label "assembly.app"}}',
    ]);
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [id = '', name = '', appName = ''] = line.split('\t');
        return { id, name, app: appName };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async storageReplicas(): Promise<Container[]> {
    const all = await this.containers('storage');
    if (all.length !== 3) throw new Error(`expected 3 storage containers, found ${all.length}`);
    return all;
  }
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/**
 * Runs fetch inside a container (replicas are not published on the host). Returns status and body;
 * status 0 when no answer came (the error, or a timeout after `timeoutMs`, is the body).
 */
export async function fetchInside(
  container: string,
  url: string,
  init: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<{ status: number; body: string }> {
  const script = `const [url, method, body, timeoutMs] = process.argv.slice(1);
fetch(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body || undefined, signal: AbortSignal.timeout(Number(timeoutMs)) })
  .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))
  .catch((e) => console.log(JSON.stringify({ status: 0, body: String(e.cause ?? e) })))
  // A name lookup that has no answer outlives the abort and would keep the process alive.
  .finally(() => process.exit(0));`;
  const out = await docker(
    'exec', container, 'node', '-e', script, url, init.method ?? 'GET', init.body === undefined ? '' : JSON.stringify(init.body),
    String(init.timeoutMs ?? 10_000),
  );
  return JSON.parse(out) as { status: number; body: string };
}
