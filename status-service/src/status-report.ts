import type { ContainerView } from './container-view.ts';
import type { GatewayWatcher } from './gateway-watcher.ts';
import type { AppSummary, ContainerStatus, DockerContainer, Resources, StatusReport } from './schemas.ts';

export interface StatusFilter {
  appName?: string | undefined;
  /** A prefix of the container's id. */
  id?: string | undefined;
}

/** Where each container's CPU and memory come from (the ResourceSampler); none without it. */
export interface ResourceSource {
  resourcesOf(id: string): Resources | null;
}

/** What /status answers, put together from the live views; nothing here calls Docker or the gateway. */
export class StatusReporter {
  readonly #view: ContainerView;
  readonly #gateway: GatewayWatcher;
  readonly #resources: ResourceSource | undefined;

  constructor(view: ContainerView, gateway: GatewayWatcher, resources?: ResourceSource) {
    this.#view = view;
    this.#gateway = gateway;
    this.#resources = resources;
  }

  get docker() {
    return this.#view.connection;
  }

  /** The assembly (or one app of it) as last observed. */
  report(filter: StatusFilter = {}, now = new Date()): StatusReport {
    const containers = this.#select(filter).map((container) => this.#withLiveViews(container));
    return {
      observedAt: now.toISOString(),
      docker: this.#view.connection,
      gateway: { reachable: this.#gateway.reachable, url: this.#gateway.apiUrl },
      apps: summarize(containers),
      containers,
    };
  }

  /** Containers whose full id starts with `prefix` (within the app, if one is given). */
  matching(prefix: string, appName?: string): ContainerStatus[] {
    return this.#view
      .withIdPrefix(prefix)
      .filter((container) => !appName || container.appName === appName)
      .map((container) => this.#withLiveViews(container));
  }

  /** Counts for one app, e.g. for the "no replica available" answer. */
  summary(appName: string): AppSummary {
    const containers = this.#view.containers().filter((container) => container.appName === appName);
    return summarize(containers)[appName] ?? { total: 0, running: 0, healthy: 0 };
  }

  #select({ appName, id }: StatusFilter): DockerContainer[] {
    const all = id ? this.#view.withIdPrefix(id) : this.#view.containers();
    return appName ? all.filter((container) => container.appName === appName) : all;
  }

  #withLiveViews(container: DockerContainer): ContainerStatus {
    const resources = container.state === 'running' ? (this.#resources?.resourcesOf(container.id) ?? null) : null;
    return { ...container, gateway: this.#gateway.statusOf(container), resources };
  }
}

/** Per app: how many containers, how many run, how many run healthy (or run without a health check). */
export function summarize(containers: Array<Pick<DockerContainer, 'appName' | 'state' | 'health'>>): Record<string, AppSummary> {
  const apps: Record<string, AppSummary> = {};
  for (const container of containers) {
    const app = (apps[container.appName] ??= { total: 0, running: 0, healthy: 0 });
    app.total += 1;
    if (container.state !== 'running') continue;
    app.running += 1;
    if (container.health === 'healthy' || container.health === 'none') app.healthy += 1;
  }
  return apps;
}
