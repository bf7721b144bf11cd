import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DockerContainer, GatewayRouting } from './schemas.ts';


interface TraefikService {
  name?: string;
  serverStatus?: Record<string, string>;
  loadBalancer?: { servers?: Array<{ url?: string }> };
}

export interface GatewayWatcherOptions {
  /** Base URL of Traefik's API, e.g. http://gateway:8082; undefined when not configured. */
  apiUrl: string | undefined;
  logger: Logger;
  intervalMs?: number;
  timeoutMs?: number;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return null;
  }
}

/** Backend address → how Traefik's load balancers see it, from the services list of Traefik's API. */
export function serversByAddress(services: TraefikService[]): Map<string, GatewayRouting> {
  const servers = new Map<string, GatewayRouting>();
  for (const service of services) {
    const statuses = { ...service.serverStatus };
    // A load balancer without a health check lists its servers but no status: they all receive traffic.
    for (const server of service.loadBalancer?.servers ?? []) if (server.url && !(server.url in statuses)) statuses[server.url] = 'UP';
    for (const [url, status] of Object.entries(statuses)) {
      const host = hostOf(url);
      if (!host) continue;
      const known = servers.get(host);
      // The same address in several services (e.g. two routers): UP anywhere means it gets traffic.
      if (known?.status === 'UP') continue;
      servers.set(host, { status: status === 'UP' ? 'UP' : 'DOWN', service: service.name ?? null, url });
    }
  }
  return servers;
}

/**
 * How the gateway sees each backend, polled from Traefik's API in the background (never per request).
 * When the API is not configured, or has not answered for a few polls, every container's view is null.
 */
export class GatewayWatcher {
  readonly #apiUrl: string | undefined;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #stopping = new AbortController();
  readonly #listeners = new Set<() => void>();
  #servers: Map<string, GatewayRouting> | null = null;
  #fingerprint = '';
  #lastAnswerAt = 0;
  #running: Promise<void> | undefined;
  #failing = false;

  constructor({ apiUrl, logger, intervalMs = 1_000, timeoutMs = 800 }: GatewayWatcherOptions) {
    this.#apiUrl = apiUrl?.replace(/\/$/, '');
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  get apiUrl(): string | null {
    return this.#apiUrl ?? null;
  }

  get reachable(): boolean {
    return this.#servers !== null && Date.now() - this.#lastAnswerAt <= 3 * this.#intervalMs + this.#timeoutMs;
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** UP/DOWN for a container whose address a load balancer lists, NOT_ROUTED otherwise; null if unknown. */
  statusOf(container: DockerContainer): GatewayRouting | null {
    if (!this.reachable || !this.#servers) return null;
    for (const address of container.addresses) {
      const server = this.#servers.get(address);
      if (server) return server;
    }
    return { status: 'NOT_ROUTED', service: null, url: null };
  }

  start(): void {
    if (!this.#apiUrl) return;
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      await this.#poll();
      await sleep(this.#intervalMs, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
    }
  }

  async #poll(): Promise<void> {
    const wasReachable = this.reachable;
    try {
      const signal = AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(this.#timeoutMs)]);
      const response = await fetch(`${this.#apiUrl}/api/http/services`, { signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const servers = serversByAddress((await response.json()) as TraefikService[]);
      this.#lastAnswerAt = Date.now();
      this.#servers = servers;
      if (this.#failing) this.#logger.info('gateway API reachable again');
      this.#failing = false;
      const fingerprint = JSON.stringify([...servers]);
      if (fingerprint !== this.#fingerprint || !wasReachable) {
        this.#fingerprint = fingerprint;
        this.#changed();
      }
    } catch (err) {
      if (this.#stopping.signal.aborted) return;
      if (!this.#failing) this.#logger.warn({ url: this.#apiUrl, reason: (err as Error).message }, 'gateway API unreachable: gateway views are null until it answers');
      this.#failing = true;
      if (wasReachable !== this.reachable) this.#changed();
    }
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
