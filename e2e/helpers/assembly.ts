import type { ExecutionContext } from 'ava';
import { fetchInside, Stack, type Container } from 'testkit/compose-stack';
import { within } from 'testkit/poll';
import { ms, report } from './report.ts';

export const DEV_USER = 'dev:assembly-dev'; // documented in .env.dev

/** The `gateway` field of a container of /statussvc/status. */
interface GatewayField {
  status: string;
  service?: string;
}
export interface StatusContainer {
  id: string;
  name: string;
  appName: string;
  state: string;
  health: string;
  gateway: GatewayField | null;
}
export interface StatusView {
  apps: Record<string, { total: number; running: number; healthy: number }>;
  containers: StatusContainer[];
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  type: string;
}

export const sameContainer = (a: { id: string }, b: { id: string }) => a.id.startsWith(b.id) || b.id.startsWith(a.id);
/** REPLICA_ID defaults to the host name, the container's short id. */
export const replicaId = (c: Container) => c.id.slice(0, 12);

/**
 * Sets the fault injection of each storage container (`PUT /faults` from inside it: replicas are not
 * published), or clears it when no `faults` are given; the containers' answers, in their order.
 */
export const setFaults = (containers: Array<{ id: string }>, faults?: Record<string, unknown>) =>
  Promise.all(containers.map((c) => fetchInside(c.id, 'http://127.0.0.1:3000/faults', faults ? { method: 'PUT', body: faults } : { method: 'DELETE' })));

/** An e2e file's compose project: assembly-e2e[-name], or E2E_PROJECT[-name], so the files' stacks never meet. */
export const e2eProject = (name = '') => `${process.env.E2E_PROJECT ?? 'assembly-e2e'}${name ? `-${name}` : ''}`;

/**
 * One e2e file's assembly: brought up with .env.dev settings and 3 storage replicas under a compose
 * project of its own, reached through the gateway on 127.0.0.1, and always taken down again (testkit's
 * Stack.up: also on Ctrl-C, or when ava's main process is gone).
 */
export class Assembly {
  readonly stack: Stack;
  readonly #started = performance.now();

  private constructor(stack: Stack) {
    this.stack = stack;
  }

  /**
   * `name` tells the e2e files' stacks apart (e2eProject); `env`
   * overrides .env.dev; `profiles` adds compose profiles (observability: Prometheus).
   */
  static async start(t: ExecutionContext, name = '', env: NodeJS.ProcessEnv = {}, overrides: string[] = [], profiles: string[] = []): Promise<Assembly> {
    const assembly = new Assembly(await Stack.create({ project: e2eProject(name), env, overrides, profiles }));
    const { stack } = assembly;

    report([
      `## e2e run ${new Date().toISOString()}`,
      '',
      `project \`${stack.project}\`, gateway ${stack.baseUrl}, NODE_IMAGE=${stack.env.NODE_IMAGE ?? '(.env.dev)'}, ` +
        `TRAEFIK_IMAGE=${stack.env.TRAEFIK_IMAGE ?? '(.env.dev)'}, HAPROXY_IMAGE=${stack.env.HAPROXY_IMAGE ?? '(.env.dev)'}` +
        (overrides.length ? `, overrides ${overrides.join(', ')}, POSTGRES_IMAGE=${stack.env.POSTGRES_IMAGE ?? '(.env.dev)'}` : '') +
        (profiles.length ? `, profiles ${profiles.join(', ')}, PROMETHEUS_IMAGE=${stack.env.PROMETHEUS_IMAGE ?? '(.env.dev)'}` : ''),
      '',
    ]);
    const started = performance.now();
    try {
      await stack.up();
      await assembly.ready(120_000);
    } catch (error) {
      // The test file never gets the assembly to stop: a stack that never became ready is taken down here.
      stack.down();
      throw error;
    }
    const version = await assembly.get('/api/version', { headers: { authorization: `Basic ${Buffer.from(DEV_USER).toString('base64')}` } });
    const traefik = (JSON.parse(version.text) as { Version?: string }).Version ?? '?';
    const line = `assembly up and healthy in ${ms(performance.now() - started)} (${stack.baseUrl}, Traefik ${traefik})`;
    t.log(line);
    report([line, '']);
    return assembly;
  }

  async stop(t: ExecutionContext): Promise<void> {
    this.stack.down();
    const left = await this.stack.containers();
    const wall = `e2e wall time ${ms(performance.now() - this.#started)}; containers left: ${left.length}`;
    t.log(wall);
    report([wall, '']);
  }

  /** A request through the gateway; redirects are not followed, 5 s at most unless `init` says otherwise. */
  get = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const response = await fetch(this.stack.url(path), { redirect: 'manual', signal: AbortSignal.timeout(5000), ...init });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, type: response.headers.get('content-type') ?? '' };
  };

  statusView = async (query = ''): Promise<StatusView> => {
    const response = await this.get(`/statussvc/status${query}`);
    if (response.status !== 200) throw new Error(`/statussvc/status answered ${response.status}: ${response.text.slice(0, 200)}`);
    return JSON.parse(response.text) as StatusView;
  };

  /** The status service sees 3 healthy storage replicas, all UP in the gateway, plus the gateway and itself. */
  viewComplete = async (): Promise<StatusView | undefined> => {
    const view = await this.statusView();
    const storage = view.containers.filter((c) => c.appName === 'storage');
    const complete =
      view.apps.storage?.healthy === 3 &&
      storage.length === 3 &&
      storage.every((c) => c.gateway?.status === 'UP') &&
      view.containers.some((c) => c.appName === 'gateway' && c.state === 'running') &&
      view.containers.some((c) => c.appName === 'status' && c.state === 'running');
    return complete ? view : undefined;
  };

  /**
   * All 3 replicas answer through the gateway (a handful of sequential requests sees every one); if not,
   * it throws what it saw, which a timed-out wait reports as its last observation.
   */
  allInRotation = async (): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const response = await this.get('/storagesvc/data');
      if (response.status !== 200) throw new Error(`GET /storagesvc/data answered ${response.status}: ${response.text.slice(0, 200)}`);
      seen.add(response.headers.get('x-replica-id') ?? '?');
    }
    if (seen.size === 3) return seen;
    const view = await this.statusView().catch(() => undefined);
    const replicas = view?.containers.filter((c) => c.appName === 'storage').map((c) => `${c.name} ${c.state} ${c.gateway?.status ?? 'no gateway view'}`);
    throw new Error(`answers from ${[...seen].join(', ')} only; the status view: ${replicas?.join('; ') ?? 'unavailable'}`);
  };

  ready = async (deadlineMs: number) => {
    await within('every storage replica in rotation', deadlineMs, this.allInRotation, { intervalMs: 250 });
    return within('the status service sees the whole assembly', deadlineMs, this.viewComplete, { intervalMs: 250 });
  };
}

/** A scenario's figures: logged by the test and appended to test-artifacts/e2e-report.md. */
export function scenarioReport(title: string, figures: Record<string, string>): string {
  const lines = [`### ${title}`, '', ...Object.entries(figures).map(([k, v]) => `- ${k}: ${v}`), ''];
  report(lines);
  return lines.join('\n');
}
