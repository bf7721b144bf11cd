import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { composeCommand, ROOT } from './compose-stack.ts';
import { within } from './poll.ts';
import { freePort } from './processes.ts';
import { stockProduct } from './write-load.ts';

const exec = promisify(execFile);

export interface SwarmStackOptions {
  /** The stack's name (`docker stack deploy … NAME`). */
  name: string;
  /** Added to (and overriding) the deploy's environment. */
  env?: NodeJS.ProcessEnv;
}

/**
 * After docker-stack.yml: PostgreSQL reads its password file itself, so that the test machine's stand-in
 * image, which knows only POSTGRES_PASSWORD, works as the official one does (see the file).
 */
const POSTGRES_ENTRYPOINT = 'testkit/swarm/postgres-entrypoint.yml';

/** A running task's container on this node. */
export interface TaskContainer {
  id: string;
  service: string;
  slot: number;
}

/** The development dashboard login of .env.dev: the one line `TRAEFIK_DASHBOARD_USERS='…'`. */
function devDashboardUsers(): string {
  const line = /^TRAEFIK_DASHBOARD_USERS='([^']+)'$/m.exec(readFileSync(join(ROOT, '.env.dev'), 'utf8'));
  if (!line?.[1]) throw new Error('.env.dev has no TRAEFIK_DASHBOARD_USERS line');
  return line[1];
}

function dockerSync(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * docker-stack.yml deployed on this engine's swarm, as a user deploys it: the service images built by
 * compose, a password file for the database secret, the gateway on a free port of the node. deploy()
 * makes a single-node swarm if none is active and labels the node for PostgreSQL; remove() takes the
 * stack and its volumes away and undoes exactly what deploy() did (leaves the swarm only if it made it).
 */
export class SwarmStack {
  readonly name: string;
  readonly port: number;
  readonly baseUrl: string;
  readonly env: NodeJS.ProcessEnv;
  readonly #files: string[];
  readonly #secretDir: string;
  #madeSwarm = false;
  #nodeId = '';
  #labelledNode = false;

  private constructor(port: number, { name, env = {} }: SwarmStackOptions) {
    this.name = name;
    this.port = port;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.#files = ['docker-stack.yml', POSTGRES_ENTRYPOINT];
    this.#secretDir = mkdtempSync(join(tmpdir(), `${name}-`));
    const passwordFile = join(this.#secretDir, 'postgres_password');
    writeFileSync(passwordFile, randomBytes(18).toString('hex'), { mode: 0o600 });
    this.env = {
      ...process.env,
      GATEWAY_PORT: String(port),
      TRAEFIK_DASHBOARD_USERS: devDashboardUsers(),
      POSTGRES_PASSWORD_FILE: passwordFile,
      ...env,
    };
  }

  static async create(options: SwarmStackOptions): Promise<SwarmStack> {
    return new SwarmStack(await freePort(), options);
  }

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** `NAME_service`, as Swarm names the stack's services. */
  service(name: string): string {
    return `${this.name}_${name}`;
  }

  async docker(args: string[], timeoutMs = 300_000): Promise<string> {
    const { stdout } = await exec('docker', args, { cwd: ROOT, env: this.env, timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout.trim();
  }

  /**
   * Swarm (made if none is active), the node label, the images, `docker stack deploy`; then waits until
   * every service runs all its tasks and the gateway serves a read. Until remove(), a SIGINT or SIGTERM
   * removes the stack before the process goes.
   */
  async deploy(timeoutMs = 180_000): Promise<void> {
    process.once('SIGINT', this.#onSignal);
    process.once('SIGTERM', this.#onSignal);
    const state = await this.docker(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}']);
    if (state.startsWith('inactive')) {
      await this.docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
      this.#madeSwarm = true;
    } else if (state !== 'active true') {
      throw new Error(`this engine's swarm is "${state}": a manager node is needed to deploy a stack`);
    }
    // `self` names this node for inspect, not for update.
    this.#nodeId = await this.docker(['info', '--format', '{{.Swarm.NodeID}}']);
    if ((await this.docker(['node', 'inspect', this.#nodeId, '--format', '{{index .Spec.Labels "assembly.postgres"}}'])) !== 'true') {
      await this.docker(['node', 'update', '--label-add', 'assembly.postgres=true', this.#nodeId]);
      this.#labelledNode = true;
    }
    const [compose = 'docker-compose', ...pre] = composeCommand();
    await exec(compose, [...pre, '--env-file', '.env.dev', 'build', 'storage', 'status'], { cwd: ROOT, env: this.env, timeout: 600_000, maxBuffer: 64 << 20 });
    await this.redeploy(timeoutMs);
  }

  /**
   * `docker stack deploy` of the files as they are, and the wait until every service runs all its tasks,
   * the gateway routes every replica and the status service says so: after deploy(), it puts back
   * whatever `docker service update` changed.
   */
  async redeploy(timeoutMs = 180_000): Promise<void> {
    await this.docker(['stack', 'deploy', ...this.#files.flatMap((file) => ['-c', file]), this.name]);
    await within(`${this.name}: every service at its replica count`, timeoutMs, async () => {
      const lines = (await this.docker(['service', 'ls', '--filter', `label=com.docker.stack.namespace=${this.name}`, '--format', '{{.Name}} {{.Replicas}}'])).split('\n');
      const short = lines.filter((line) => !/ (\d+)\/\1\b/.test(line));
      if (lines.length < 5 || short.length) throw new Error(short.join(', ') || `${lines.length} services`);
      // A deploy that changed a service starts a rolling update of it: done once none is updating.
      const names = lines.map((line) => line.split(' ')[0]!);
      const states = await this.docker(['service', 'inspect', '--format', '{{.Spec.Name}} {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', ...names]);
      const updating = states.split('\n').filter((line) => / (updating|rollback_started)$/.test(line));
      if (updating.length) throw new Error(`still updating: ${updating.join(', ')}`);
      return true;
    }, { intervalMs: 1000 });
    const replicas = Number(await this.docker(['service', 'inspect', '--format', '{{.Spec.Mode.Replicated.Replicas}}', this.service('storage')]));
    await this.waitRouted(replicas, 60_000);
    await within(`${this.name}: the status service sees every replica routed`, 60_000, async () => {
      const answer = await fetch(this.url('/statussvc/status?appName=storage'), { signal: AbortSignal.timeout(2000) });
      const { containers = [] } = (await answer.json()) as { containers?: Array<{ gateway: { status: string } | null }> };
      const up = containers.filter((c) => c.gateway?.status === 'UP').length;
      if (up !== replicas) throw new Error(`the status service sees ${up} of ${replicas} replicas UP in the gateway`);
      return true;
    }, { intervalMs: 500 });
  }

  /** `docker service update FLAGS NAME_service`, once the update has converged. */
  async updateService(service: string, ...flags: string[]): Promise<void> {
    await this.docker(['service', 'update', '--detach=false', '--quiet', ...flags, this.service(service)]);
  }

  /** Until the gateway routes exactly `replicas` storage tasks; how long that took, in milliseconds. */
  async waitRouted(replicas: number, timeoutMs: number): Promise<number> {
    const started = performance.now();
    await within(`${this.name}: ${replicas} storage tasks routed`, timeoutMs, async () => {
      const up = await this.routedStorage();
      if (up.length !== replicas) throw new Error(`${up.length} routed: ${up.join(', ')}`);
      return true;
    }, { intervalMs: 100 });
    return performance.now() - started;
  }

  /** Sets every product's stock, so that buyers never run out during a run. */
  async stockEveryProduct(quantity: number): Promise<void> {
    const { ids } = (await (await fetch(this.url('/storagesvc/data/products?limit=1000'))).json()) as { ids: string[] };
    for (const id of ids) await stockProduct(this.url('/storagesvc'), id, quantity);
  }

  /** The running tasks' containers of one of the stack's services (this node's: all of them on one node). */
  async taskContainers(service: string): Promise<TaskContainer[]> {
    const out = await this.docker([
      'ps', '--no-trunc', '--filter', `label=com.docker.swarm.service.name=${this.service(service)}`,
      '--format', '{{.ID}}\t{{.Label "com.docker.swarm.task.name"}}',
    ]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [id = '', task = ''] = line.split('\t');
        return { id, service, slot: Number(task.split('.')[1]) };
      })
      .sort((a, b) => a.slot - b.slot);
  }

  /** The storage servers the gateway routes to now: their URLs, as Traefik's API lists them UP. */
  async routedStorage(): Promise<string[]> {
    const [user, password] = ['dev', 'assembly-dev']; // .env.dev's dashboard login
    const answer = await fetch(this.url('/api/http/services/storage@swarm'), {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      signal: AbortSignal.timeout(2000),
    });
    if (answer.status === 404) return [];
    if (!answer.ok) throw new Error(`Traefik's API answered ${answer.status}`);
    const { serverStatus = {} } = (await answer.json()) as { serverStatus?: Record<string, string> };
    return Object.entries(serverStatus).filter(([, status]) => status === 'UP').map(([url]) => url).sort();
  }

  /** Removes the stack, waits until its containers and networks are gone, deletes its volumes, and undoes deploy()'s changes to the engine. Never throws. */
  remove(): void {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    const attempt = (action: () => unknown) => {
      try {
        action();
      } catch {
        // Best effort: what is left shows in `docker stack ls` and `docker volume ls`.
      }
    };
    attempt(() => dockerSync('stack', 'rm', this.name));
    const ofStack = `label=com.docker.stack.namespace=${this.name}`;
    const gone = Date.now() + 90_000;
    while (Date.now() < gone) {
      let left = '';
      attempt(() => {
        left = dockerSync('ps', '-aq', '--filter', ofStack) + dockerSync('network', 'ls', '-q', '--filter', ofStack);
      });
      if (!left) break;
      execFileSync('sleep', ['1']);
    }
    // Every volume of the stack (PostgreSQL's data, the status service's history): the engine may still
    // hold one for a moment after the last container is gone.
    for (let tries = 0; tries < 30; tries++) {
      let volumes: string[] = [];
      attempt(() => {
        volumes = dockerSync('volume', 'ls', '-q', '--filter', ofStack).split('\n').filter(Boolean);
      });
      if (volumes.length === 0) break;
      attempt(() => dockerSync('volume', 'rm', ...volumes));
      execFileSync('sleep', ['1']);
    }
    if (this.#labelledNode) attempt(() => dockerSync('node', 'update', '--label-rm', 'assembly.postgres', this.#nodeId));
    if (this.#madeSwarm) attempt(() => dockerSync('swarm', 'leave', '--force'));
    rmSync(this.#secretDir, { recursive: true, force: true });
  }

  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.remove();
    process.kill(process.pid, signal);
  };
}
