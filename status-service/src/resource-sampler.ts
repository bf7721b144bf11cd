import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ContainerView } from './container-view.ts';
import type { Resources } from './schemas.ts';

/** Docker's stats document, with only the fields read here (cgroup v1 and v2 name the page cache differently). */
export interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: { inactive_file?: number; total_inactive_file?: number } };
}

/** The one Docker call the sampler makes: a container's stats, once (`one-shot`: no second sample taken by the engine). */
export interface ContainerStatsApi {
  /** Null when Docker has no such container (removed, or in swarm mode on another node). */
  containerStats(id: string, signal: AbortSignal): Promise<DockerStats | null>;
}

const finite = (value: number | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * CPU and memory as `docker stats` shows them: CPU as a percentage of one core (up to 100 × cores) over
 * the time since the previous sample, null without one; memory in use without the page cache the kernel
 * may reclaim (inactive files), and the container's limit (the host's memory when it has none).
 */
export function resourcesFrom(stats: DockerStats, previous: DockerStats | undefined): Resources {
  const memory = stats.memory_stats;
  const cache = memory?.stats?.inactive_file ?? memory?.stats?.total_inactive_file ?? 0;
  const cpu = stats.cpu_stats;
  const before = previous?.cpu_stats;
  let cpuPercent: number | null = null;
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? NaN) - (before?.cpu_usage?.total_usage ?? NaN);
  const systemDelta = (cpu?.system_cpu_usage ?? NaN) - (before?.system_cpu_usage ?? NaN);
  if (finite(cpuDelta) && finite(systemDelta) && systemDelta > 0 && cpuDelta >= 0) {
    cpuPercent = Math.round((cpuDelta / systemDelta) * (cpu?.online_cpus ?? 1) * 100 * 10) / 10;
  }
  return {
    cpuPercent,
    memoryBytes: finite(memory?.usage) ? Math.max(0, memory.usage - cache) : null,
    memoryLimitBytes: finite(memory?.limit) && memory.limit > 0 ? memory.limit : null,
  };
}

export interface ResourceSamplerOptions {
  api: ContainerStatsApi;
  view: ContainerView;
  logger: Logger;
  intervalMs: number;
  /** A stats call that takes longer is given up; its container keeps its last figures. */
  timeoutMs?: number;
}

/**
 * Reads every running container's stats once per interval and keeps the last figures of each.
 * Containers that stopped or went are forgotten. A listener hears of each round of new figures.
 */
export class ResourceSampler {
  readonly #api: ContainerStatsApi;
  readonly #view: ContainerView;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #stopping = new AbortController();
  readonly #samples = new Map<string, { stats: DockerStats; resources: Resources }>();
  readonly #listeners = new Set<() => void>();
  #running: Promise<void> | undefined;
  #failing = false;

  constructor({ api, view, logger, intervalMs, timeoutMs = 5_000 }: ResourceSamplerOptions) {
    this.#api = api;
    this.#view = view;
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  /** The container's last figures (by short id); null when it is not running or not sampled yet. */
  resourcesOf(id: string): Resources | null {
    return this.#samples.get(id)?.resources ?? null;
  }

  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }

  /**
   * One round: every running container at once. Docker 20.10 answers a one-shot stats call at its
   * collector's next tick (up to a second later) once it collects for the container: one after another,
   * a round would take a second per container.
   */
  async sampleOnce(): Promise<void> {
    const running = this.#view.containers().filter((container) => container.state === 'running');
    const ids = new Set(running.map((container) => container.id));
    for (const id of this.#samples.keys()) if (!ids.has(id)) this.#samples.delete(id);
    const signal = AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(this.#timeoutMs)]);
    const results = await Promise.allSettled(running.map(({ id }) => this.#api.containerStats(id, signal)));
    let failed: { id: string; reason: unknown } | undefined;
    results.forEach((result, i) => {
      const id = running[i]!.id;
      if (result.status === 'rejected') {
        failed ??= { id, reason: result.reason };
        return;
      }
      const stats = result.value;
      if (stats) this.#samples.set(id, { stats, resources: resourcesFrom(stats, this.#samples.get(id)?.stats) });
      else this.#samples.delete(id);
    });
    // Logged once per run of failing rounds: the view's own connection handling reports a lost engine.
    if (failed && !this.#failing && !this.#stopping.signal.aborted) {
      this.#logger.warn({ container: failed.id, reason: (failed.reason as Error).message }, 'container stats could not be read');
    }
    this.#failing = failed !== undefined;
    for (const listener of this.#listeners) listener();
  }

  async #run(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      if (this.#view.connection.reachable) await this.sampleOnce();
      await sleep(this.#intervalMs, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
    }
  }
}
