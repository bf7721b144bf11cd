import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { APP_LABEL, fromInspect, PROJECT_LABEL } from './container-status.ts';
import type { ContainerEvent, ContainerView, ObservedContainer } from './container-view.ts';
import type { DockerApi } from './docker-api.ts';
import { ownProject, type DiscoveryScope } from './own-project.ts';
import { StackTasks } from './stack-tasks.ts';

/** The events that change what /status reports. */
export const WATCHED_ACTIONS = [
  'create', 'start', 'restart', 'die', 'stop', 'kill', 'pause', 'unpause', 'health_status', 'destroy', 'rename',
] as const;
/** Swarm mode: the container events above, and a service's `create`, `update` and `remove`. */
const SWARM_ACTIONS = [...WATCHED_ACTIONS, 'update', 'remove'] as const;

export interface WatcherTimings {
  /** Longest wait for one list, inspect or ping call. */
  callTimeoutMs: number;
  /** How often the daemon is pinged while the event stream is quiet, to notice a daemon that hangs. */
  pingIntervalMs: number;
  /** Swarm mode: how often the stack's tasks are listed (swarm has no task events). */
  taskPollMs: number;
  /** First and largest pause between reconnection attempts (doubling in between). */
  retryMinMs: number;
  retryMaxMs: number;
}

export const DEFAULT_TIMINGS: WatcherTimings = { callTimeoutMs: 2_000, pingIntervalMs: 2_000, taskPollMs: 1_000, retryMinMs: 250, retryMaxMs: 5_000 };

const INSPECT_CONCURRENCY = 8;

export interface WatcherOptions {
  api: DockerApi;
  view: ContainerView;
  logger: Logger;
  /** This service's own container: its swarm stack or compose project, if any, narrows discovery to it. */
  ownContainerId?: string;
  /**
   * The swarm stack this service is a task of, when the stack file says so (STACK_NAMESPACE): then its
   * own container is not looked up, which on a swarm of several nodes may run where the proxy cannot see it.
   */
  stack?: string;
  /** The socket's path, named when it is missing or access to it is denied. */
  socketPath?: string;
  timings?: Partial<WatcherTimings>;
}

class SessionEnded extends Error {}
class DockerTimeout extends Error {
  constructor() {
    super('the Docker Engine did not answer in time');
  }
}

/** Why a Docker call failed, in words an operator can act on. */
export function describeDockerError(err: unknown, socketPath?: string): string {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (err instanceof SessionEnded || err instanceof DockerTimeout) return err.message;
  if (code === 'ENOENT') return `no Docker socket at ${socketPath ?? 'the configured path'}`;
  if (code === 'EACCES') return `permission denied on ${socketPath ?? 'the Docker socket'}`;
  if (code === 'ECONNREFUSED') return 'the Docker Engine refused the connection (daemon stopped?)';
  return message ? `Docker call failed: ${message}` : 'Docker call failed';
}

/** Settles, always by rejecting, when the stream ends or fails or the session is abandoned. */
function endOf(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<never> {
  const ended = new Promise<never>((_, reject) => {
    const end = (err?: Error) => reject(err ?? new SessionEnded('the Docker event stream ended'));
    stream.on('end', () => end());
    stream.on('close', () => end());
    stream.on('error', end);
    signal.addEventListener('abort', () => end(signal.reason instanceof Error ? signal.reason : undefined));
  });
  ended.catch(() => undefined);
  return ended;
}

function parseEvent(line: string): ContainerEvent | null {
  try {
    const raw = JSON.parse(line) as { Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; timeNano?: number; time?: number };
    if (!raw.Action || !raw.Actor?.ID) return null;
    return {
      id: raw.Actor.ID,
      action: raw.Action,
      timeNano: raw.timeNano ?? (raw.time ?? 0) * 1e9,
      attributes: raw.Actor.Attributes ?? {},
    };
  } catch {
    return null;
  }
}

export function observe(info: Docker.ContainerInspectInfo): ObservedContainer {
  return { fullId: info.Id, container: fromInspect(info), hasHealthCheck: !!info.State?.Health || !!info.Config?.Healthcheck?.Test };
}

/**
 * Keeps the view in step with the Docker Engine: finds its own compose project or stack (once),
 * subscribes to container events, lists the labelled containers, then applies each event and
 * re-inspects the container it names. In swarm mode (its own container belongs to a stack) it reports
 * the stack's tasks instead, listed again and again. A lost or hanging daemon marks the view
 * unreachable (keeping what was last seen) and is retried with a growing pause until it answers again;
 * every reconnect starts with a fresh listing, so nothing missed meanwhile is lost.
 */
export class DockerWatcher {
  readonly #api: DockerApi;
  readonly #view: ContainerView;
  readonly #logger: Logger;
  readonly #ownContainerId: string | undefined;
  readonly #stack: string | undefined;
  /** The own container's stack or project, once found: it does not change while the service runs. */
  #scope: DiscoveryScope | undefined;
  /** Swarm mode: the stack's tasks, with the node hostnames learnt so far. */
  #stackTasks: StackTasks | undefined;
  /** Whether the first listing, and with it what is watched, has been logged. */
  #announced = false;
  readonly #socketPath: string | undefined;
  readonly #timings: WatcherTimings;
  readonly #stopping = new AbortController();
  /** Containers being inspected, and whether another event arrived for them meanwhile. */
  readonly #inspecting = new Map<string, { again: boolean; generation: number }>();
  #running: Promise<void> | undefined;
  #lastLoggedReason: string | undefined;

  constructor({ api, view, logger, ownContainerId, stack, socketPath, timings }: WatcherOptions) {
    this.#api = api;
    this.#view = view;
    this.#logger = logger;
    this.#ownContainerId = ownContainerId;
    this.#stack = stack;
    this.#socketPath = socketPath;
    this.#timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }

  async #run(): Promise<void> {
    let pauseMs = this.#timings.retryMinMs;
    while (!this.#stopping.signal.aborted) {
      const session = new AbortController();
      const stop = () => session.abort();
      this.#stopping.signal.addEventListener('abort', stop);
      try {
        await this.#session(session, () => (pauseMs = this.#timings.retryMinMs));
      } catch (err) {
        if (this.#stopping.signal.aborted) break;
        this.#lostContact(err);
      } finally {
        session.abort();
        this.#stopping.signal.removeEventListener('abort', stop);
      }
      await sleep(pauseMs, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
      pauseMs = Math.min(pauseMs * 2, this.#timings.retryMaxMs);
    }
  }

  /** One connection, until the event stream ends or the daemon stops answering. */
  async #session(session: AbortController, onSynced: () => void): Promise<void> {
    const scope = await this.#discoveryScope(session);
    if (scope.stack !== null) {
      this.#stackTasks ??= new StackTasks(this.#api, scope.stack);
      await this.#followTasks(this.#stackTasks, session, onSynced);
      return;
    }
    const labels = [APP_LABEL, ...(scope.project === null ? [] : [`${PROJECT_LABEL}=${scope.project}`])];
    await this.#followContainers(labels, scope.project, session, onSynced);
  }

  /** Subscribe, list, then follow events. */
  async #followContainers(labels: string[], project: string | null, session: AbortController, onSynced: () => void): Promise<void> {
    const signal = session.signal;
    const stream = await this.#call((s) => this.#api.containerEvents(labels, WATCHED_ACTIONS, s), session, true);
    const ended = endOf(stream, signal);

    // Events that arrive while the listing is taken wait for it, then apply on top of it.
    const queued: ContainerEvent[] = [];
    let synced = false;
    let partial = '';
    stream.on('data', (chunk: Buffer | string) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const event of lines.map(parseEvent)) {
        if (!event) continue;
        if (synced) this.#handle(event, session);
        else queued.push(event);
      }
    });

    const listing = await Promise.race([this.#list(labels, session), ended]);
    this.#showListing(listing, onSynced, { labels, project });
    synced = true;
    for (const event of queued.splice(0)) this.#handle(event, session);

    const heartbeat = setInterval(() => {
      this.#call((s) => this.#api.ping(s), session).catch((err: unknown) => {
        if (!signal.aborted) session.abort(err instanceof Error ? err : new Error(String(err)));
      });
    }, this.#timings.pingIntervalMs);
    try {
      await ended;
    } finally {
      clearInterval(heartbeat);
    }
  }

  /**
   * Swarm mode: swarm has no task events, so the stack's tasks are listed every taskPollMs, and at once
   * after an event of a container (on this node) or a service; one that arrives during a listing starts
   * the next as soon as it ends. A listing that fails ends the connection, as a lost event stream does.
   */
  async #followTasks(tasks: StackTasks, session: AbortController, onSynced: () => void): Promise<void> {
    const signal = session.signal;
    const stream = await this.#call((s) => this.#api.swarmEvents(SWARM_ACTIONS, s), session, true);
    const ended = endOf(stream, signal);
    let nudge = new AbortController();
    stream.on('data', () => nudge.abort());

    const poll = async (): Promise<never> => {
      for (;;) {
        nudge = new AbortController();
        const listing = await tasks.list((call) => this.#call(call, session));
        if (listing) this.#showListing(listing, onSynced, { stack: tasks.stack });
        await sleep(this.#timings.taskPollMs, undefined, { signal: AbortSignal.any([nudge.signal, signal]) }).catch(() => undefined);
        signal.throwIfAborted();
      }
    };
    const polling = poll();
    polling.catch(() => undefined);
    await Promise.race([polling, ended]);
  }

  /** A full listing replaces the view; the first is announced with what is watched, and the first after a lost contact too. */
  #showListing(listing: ObservedContainer[], onSynced: () => void, watched: Record<string, unknown>): void {
    this.#view.replaceAll(listing);
    onSynced();
    if (this.#lastLoggedReason !== undefined) this.#logger.info({ containers: listing.length }, 'Docker Engine reachable again');
    if (!this.#announced) this.#logger.info({ containers: listing.length, ...watched }, 'watching the assembly\'s containers');
    this.#announced = true;
    this.#lastLoggedReason = undefined;
  }

  async #discoveryScope(session: AbortController): Promise<DiscoveryScope> {
    if (this.#scope) return this.#scope;
    const scope = this.#stack ? { stack: this.#stack, project: null } : await this.#call((s) => ownProject(this.#api, this.#ownContainerId, s), session);
    if ('reason' in scope) this.#logger.info({ reason: scope.reason }, 'discovery not narrowed to a compose project: watching every project\'s labelled containers');
    this.#scope = scope;
    return scope;
  }

  async #list(labels: string[], session: AbortController): Promise<ObservedContainer[]> {
    const ids = await this.#call((s) => this.#api.listContainerIds(labels, s), session);
    const observed: ObservedContainer[] = [];
    for (let start = 0; start < ids.length; start += INSPECT_CONCURRENCY) {
      const batch = ids.slice(start, start + INSPECT_CONCURRENCY);
      const infos = await Promise.all(batch.map((id) => this.#call((s) => this.#api.inspectContainer(id, s), session)));
      for (const info of infos) if (info) observed.push(observe(info));
    }
    return observed;
  }

  /** Applies the event, then inspects its container; one inspect per container at a time, the newest wins. */
  #handle(event: ContainerEvent, session: AbortController): void {
    const generation = this.#view.applyEvent(event);
    if (generation === null) return;
    const pending = this.#inspecting.get(event.id);
    if (pending) {
      pending.again = true;
      pending.generation = generation;
      return;
    }
    const state = { again: false, generation };
    this.#inspecting.set(event.id, state);
    void (async () => {
      try {
        do {
          state.again = false;
          const asked = state.generation;
          const info = await this.#call((s) => this.#api.inspectContainer(event.id, s), session);
          this.#view.applyInspect(event.id, asked, info ? observe(info) : null);
        } while (state.again && !session.signal.aborted);
      } catch (err) {
        // The session's own failure handling covers a daemon that went away; the event's effect stays applied.
        if (!session.signal.aborted) this.#logger.warn({ container: event.id.slice(0, 12), reason: describeDockerError(err, this.#socketPath) }, 'inspect failed');
      } finally {
        this.#inspecting.delete(event.id);
      }
    })();
  }

  /**
   * One Docker call, cut off after the call timeout or when the session ends. A call whose answer lives
   * on (the event stream) gets only the session's signal: the timeout bounds the wait for it to open,
   * and if it fires the session is abandoned so a late stream closes too.
   */
  async #call<T>(call: (signal: AbortSignal) => Promise<T>, session: AbortController, outlives = false): Promise<T> {
    const timeout = AbortSignal.timeout(this.#timings.callTimeoutMs);
    const signal = outlives ? session.signal : AbortSignal.any([session.signal, timeout]);
    const gaveUp = AbortSignal.any([session.signal, timeout]);
    // Settles on abort even if the client library does not, so no call can outlive its timeout.
    const aborted = new Promise<never>((_, reject) =>
      gaveUp.addEventListener('abort', () => reject(timeout.aborted ? new DockerTimeout() : session.signal.reason), { once: true }),
    );
    aborted.catch(() => undefined);
    try {
      return await Promise.race([call(signal), aborted]);
    } catch (err) {
      if (!timeout.aborted) throw err;
      if (outlives) session.abort(new DockerTimeout());
      throw new DockerTimeout();
    }
  }

  #lostContact(err: unknown): void {
    const reason = describeDockerError(err, this.#socketPath);
    this.#view.markUnreachable(reason);
    if (reason === this.#lastLoggedReason) return;
    this.#lastLoggedReason = reason;
    this.#logger.warn({ reason }, 'Docker Engine unreachable: serving the last known view, reconnecting');
  }
}
