import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { within } from './poll.ts';
import { freePort } from './processes.ts';

const exec = promisify(execFile);

/** The repository's root: docker-compose.yml and the env files are there. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `docker-compose` (1.29) where installed, else Compose v2's `docker compose`; E2E_COMPOSE overrides. */
export function composeCommand(): string[] {
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
  /** Compose profiles to enable (`--profile NAME` on every command), e.g. observability for Prometheus. */
  profiles?: string[];
}

export interface Container {
  id: string;
  name: string;
  app: string;
}

/** A running container, with its address on the compose network (reachable from the host, not published). */
export interface RunningContainer extends Container {
  ip: string;
}

/**
 * The assembly under test: docker-compose.yml with .env.dev, under a compose project of its own
 * (E2E_PROJECT, default assembly-e2e) on free ports of 127.0.0.1 (HTTP and HTTPS), so a dev stack on the same engine
 * is neither disturbed nor picked up. NODE_IMAGE and TRAEFIK_IMAGE pass through from the environment.
 */
export class Stack {
  readonly project: string;
  readonly port: number;
  readonly baseUrl: string;
  /** The gateway's HTTPS port on 127.0.0.1 (GATEWAY_HTTPS_PORT). */
  readonly httpsPort: number;
  readonly env: NodeJS.ProcessEnv;
  readonly #compose: string[];
  readonly #files: string[];
  readonly #profiles: string[];

  private constructor(port: number, httpsPort: number, options: StackOptions = {}) {
    this.#files = ['docker-compose.yml', ...(options.overrides ?? [])];
    this.#profiles = options.profiles ?? [];
    this.project = options.project ?? process.env.E2E_PROJECT ?? 'assembly-e2e';
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.httpsPort = httpsPort;
    this.#compose = composeCommand();
    // The shell's environment wins over the env file in both docker-compose 1.29 and Compose v2. The
    // project is given by `-p` alone, as a user would: nothing else tells the stack its name.
    const { COMPOSE_PROJECT_NAME: _ignored, ...inherited } = process.env;
    this.env = {
      ...inherited,
      GATEWAY_BIND: '127.0.0.1',
      GATEWAY_PORT: String(port),
      GATEWAY_HTTPS_PORT: String(httpsPort),
      STORAGE_REPLICAS: '3',
      ...options.env,
    };
  }

  static async create(options: StackOptions = {}): Promise<Stack> {
    const port = await freePort();
    let httpsPort = await freePort();
    while (httpsPort === port) httpsPort = await freePort();
    return new Stack(port, httpsPort, options);
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  composeArgs(args: string[]): [string, string[]] {
    const [command = 'docker-compose', ...pre] = this.#compose;
    return [
      command,
      [
        ...pre, '--env-file', '.env.dev', '-p', this.project, ...this.#files.flatMap((file) => ['-f', file]),
        ...this.#profiles.flatMap((profile) => ['--profile', profile]), ...args,
      ],
    ];
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

  /**
   * `up -d --build` from a clean slate (the leftovers of an interrupted run are taken down first). Until
   * down(), a SIGINT or SIGTERM, or the loss of the parent process (ava's worker), takes the stack down
   * before the process goes: no run leaves containers behind.
   */
  async up(): Promise<void> {
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
    process.once('disconnect', this.#onOrphaned);
    await this.compose(['down', '-v', '--remove-orphans', '--timeout', '5']);
    await this.compose(['up', '-d', '--build']);
  }

  /** Takes the stack down, volumes and all (downSync), and forgets the signal handlers of up(). Never throws. */
  down(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    process.off('disconnect', this.#onOrphaned);
    this.downSync();
  }

  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.downSync();
    process.kill(process.pid, signal);
  };

  readonly #onOrphaned = () => {
    this.downSync();
    process.exit(1);
  };

  /** `up -d --scale storage=N` on the running stack (existing containers are kept), then waits until all are routed. */
  async scale(replicas: number): Promise<void> {
    await this.compose(['up', '-d', '--no-build', '--no-recreate', '--scale', `storage=${replicas}`]);
    await this.waitRouted(replicas);
  }

  /** The running containers of one app (assembly.app), with their addresses. */
  async running(app: string): Promise<RunningContainer[]> {
    const containers = await this.containers(app);
    if (!containers.length) return [];
    const { stdout } = await exec('docker', [
      'inspect', '--format', '{{.Id}}\t{{.State.Running}}\t{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', ...containers.map((c) => c.id),
    ]);
    const ips = new Map(
      stdout
        .split('\n')
        .map((line) => line.split('\t'))
        .filter(([, isRunning]) => isRunning === 'true')
        .map(([id = '', , addresses = '']) => [id, addresses.trim().split(' ')[0] ?? ''] as const),
    );
    return containers.filter((c) => ips.has(c.id)).map((c) => ({ ...c, ip: ips.get(c.id)! }));
  }

  /** The gateway's address on the compose network: Traefik without Docker's port publishing in front. */
  async gatewayUrl(): Promise<string> {
    const [gateway] = await this.running('gateway');
    if (!gateway) throw new Error(`${this.project}: the gateway is not running`);
    return `http://${gateway.ip}:8080`;
  }

  /**
   * Until the status service reports `replicas` storage containers running, each UP in the gateway (the
   * status view reads Traefik's API), and a read through the gateway answers.
   */
  async waitRouted(replicas: number, timeoutMs = 120_000): Promise<void> {
    await within(`${this.project}: ${replicas} storage replicas routed`, timeoutMs, async () => {
      const response = await fetch(this.url('/statussvc/status?appName=storage'), { signal: AbortSignal.timeout(2000) });
      const report = (await response.json()) as { containers?: Array<{ state: string; gateway: { status: string } | null }> };
      const running = (report.containers ?? []).filter((c) => c.state === 'running');
      const up = running.filter((c) => c.gateway?.status === 'UP');
      if (running.length !== replicas || up.length !== replicas) throw new Error(`${running.length} running, ${up.length} UP in the gateway`);
      const read = await fetch(this.url('/storagesvc/data'), { signal: AbortSignal.timeout(2000) });
      if (!read.ok) throw new Error(`GET /storagesvc/data answered ${read.status}`);
      return true;
    }, { intervalMs: 250 });
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
