import { APP_LABEL, containerNumber, healthWhile, shortId } from './container-status.ts';
import type { DockerConnection, DockerContainer } from './schemas.ts';

/** One container event as Docker reports it, reduced to what the view needs. */
export interface ContainerEvent {
  id: string;
  action: string;
  /** Nanoseconds since the epoch; orders events even when they arrive out of order. */
  timeNano: number;
  /** The container's labels, plus `name`, `image` and, on `die`, `exitCode`. */
  attributes: Record<string, string>;
}

/** A container as listed or inspected: its full id, its status, and whether it has a health check. */
export interface ObservedContainer {
  fullId: string;
  container: DockerContainer;
  hasHealthCheck: boolean;
}

interface Entry extends ObservedContainer {
  lastEventAt: number;
  /** Bumped by every event; an inspect result is applied only if no event came after it was asked for. */
  generation: number;
}

const byAppThenReplica = (a: DockerContainer, b: DockerContainer) =>
  a.appName.localeCompare(b.appName) || (a.replica ?? 0) - (b.replica ?? 0) || a.name.localeCompare(b.name);

/**
 * The live view of the assembly's containers: a full listing after every (re)connect, then Docker's
 * events, each applied at once from what the event says and confirmed by an inspect of the container.
 * Events older than one already applied, duplicates, and inspect answers overtaken by a newer event
 * are ignored, so the view converges on Docker's state whatever order the answers arrive in.
 */
export class ContainerView {
  readonly #endpoint: string;
  readonly #entries = new Map<string, Entry>();
  /** Full id → time of its `destroy` event: late events and inspects must not bring it back. */
  readonly #destroyed = new Map<string, number>();
  readonly #listeners = new Set<() => void>();
  #generation = 0;
  #eventsSeen = 0;
  #reachable = false;
  #since: Date;
  #lastSyncAt: Date | null = null;
  #error: string | null = 'connecting to the Docker Engine';

  constructor(endpoint: string, now = new Date()) {
    this.#endpoint = endpoint;
    this.#since = now;
  }

  /** Calls `listener` after every change that a reader of the view could notice, but for `lastSyncAt` alone. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get connection(): DockerConnection {
    return {
      reachable: this.#reachable,
      endpoint: this.#endpoint,
      since: this.#since.toISOString(),
      lastSyncAt: this.#lastSyncAt?.toISOString() ?? null,
      error: this.#error,
    };
  }

  /** Docker events applied or ignored since the service started (stale and duplicate ones too). */
  get eventsSeen(): number {
    return this.#eventsSeen;
  }

  containers(): DockerContainer[] {
    return [...this.#entries.values()].map((entry) => entry.container).sort(byAppThenReplica);
  }

  /** Containers whose full id starts with `prefix`. */
  withIdPrefix(prefix: string): DockerContainer[] {
    return [...this.#entries.values()].filter((entry) => entry.fullId.startsWith(prefix)).map((entry) => entry.container);
  }

  /**
   * A full listing, taken after (re)connecting or, in swarm mode, at every poll: it replaces whatever the
   * view held. One that finds the view as it was is no news, though `lastSyncAt` moves on.
   */
  replaceAll(observed: ObservedContainer[], at = new Date()): void {
    const before = this.#visible();
    this.#entries.clear();
    this.#destroyed.clear();
    for (const container of observed) {
      this.#entries.set(container.fullId, { ...container, lastEventAt: 0, generation: ++this.#generation });
    }
    if (!this.#reachable) this.#since = at;
    this.#reachable = true;
    this.#error = null;
    this.#lastSyncAt = at;
    if (this.#visible() !== before) this.#changed();
  }

  /** The daemon cannot be reached: the containers stay as last seen, marked with the reason and since when. */
  markUnreachable(reason: string, at = new Date()): void {
    if (!this.#reachable && this.#error === reason) return;
    if (this.#reachable) this.#since = at;
    this.#reachable = false;
    this.#error = reason;
    this.#changed();
  }

  /**
   * Applies what an event says. Returns the generation to pass to `applyInspect` with the container's
   * inspect document, or null when no inspect is needed (stale or duplicate event, destroyed container).
   */
  applyEvent(event: ContainerEvent): number | null {
    this.#eventsSeen += 1;
    const destroyedAt = this.#destroyed.get(event.id);
    if (destroyedAt !== undefined && event.timeNano <= destroyedAt) return null;
    const entry = this.#entries.get(event.id) ?? this.#entryFromEvent(event);
    if (!entry) return null;
    if (event.timeNano < entry.lastEventAt) return null;

    if (event.action === 'destroy') {
      this.#entries.delete(event.id);
      this.#destroyed.set(event.id, event.timeNano);
      this.#changed();
      return null;
    }
    const before = JSON.stringify(entry.container);
    entry.container = applyAction(entry, event);
    entry.lastEventAt = event.timeNano;
    entry.generation = ++this.#generation;
    this.#entries.set(event.id, entry);
    if (JSON.stringify(entry.container) !== before) this.#changed();
    return entry.generation;
  }

  /** Docker's own account of the container, asked for after the event that returned `generation`. */
  applyInspect(fullId: string, generation: number, observed: ObservedContainer | null): void {
    const entry = this.#entries.get(fullId);
    if (!entry || entry.generation !== generation) return;
    if (!observed) {
      this.#entries.delete(fullId);
      this.#changed();
      return;
    }
    const before = JSON.stringify(entry.container);
    entry.container = observed.container;
    entry.hasHealthCheck = observed.hasHealthCheck;
    if (JSON.stringify(entry.container) !== before) this.#changed();
  }

  #entryFromEvent(event: ContainerEvent): Entry | undefined {
    const appName = event.attributes[APP_LABEL];
    if (!appName || event.action === 'destroy') return undefined;
    return {
      fullId: event.id,
      hasHealthCheck: false,
      lastEventAt: 0,
      generation: 0,
      container: {
        id: shortId(event.id),
        name: event.attributes.name ?? shortId(event.id),
        appName,
        replica: containerNumber(event.attributes),
        state: 'created',
        health: 'none',
        startedAt: null,
        finishedAt: null,
        restartCount: 0,
        exitCode: null,
        image: event.attributes.image ?? '',
        addresses: [],
        node: null,
      },
    };
  }

  /** What readers see of the view, but for its times (a change of reachability moves `since` too). */
  #visible(): string {
    return JSON.stringify([this.#reachable, this.#error, this.containers()]);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

function eventTime(event: ContainerEvent): string {
  return new Date(Math.floor(event.timeNano / 1e6)).toISOString();
}

/** The container as the event leaves it, until the inspect that follows confirms the details. */
function applyAction(entry: Entry, event: ContainerEvent): DockerContainer {
  const container = entry.container;
  const [action = '', detail = ''] = event.action.split(/:\s*/);
  switch (action) {
    case 'start':
    case 'restart':
      return {
        ...container,
        state: 'running',
        health: entry.hasHealthCheck ? 'starting' : 'none',
        startedAt: eventTime(event),
        exitCode: null,
      };
    case 'unpause':
      return { ...container, state: 'running' };
    case 'pause':
      return { ...container, state: 'paused' };
    case 'die':
    case 'stop': {
      const exitCode = Number(event.attributes.exitCode);
      return {
        ...container,
        state: 'exited',
        health: 'none',
        finishedAt: action === 'die' ? eventTime(event) : container.finishedAt,
        exitCode: Number.isInteger(exitCode) ? exitCode : container.exitCode,
      };
    }
    case 'health_status':
      if (detail === 'healthy' || detail === 'unhealthy' || detail === 'starting') {
        return { ...container, health: healthWhile(container.state, detail) };
      }
      return container;
    case 'rename':
      return { ...container, name: (event.attributes.name ?? container.name).replace(/^\//, '') };
    default:
      return container;
  }
}
