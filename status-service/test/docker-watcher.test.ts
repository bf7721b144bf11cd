import { PassThrough } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import test from 'ava';
import type Docker from 'dockerode';
import { ContainerView } from '../src/container-view.ts';
import type { DockerApi } from '../src/docker-api.ts';
import { DockerWatcher, type WatcherOptions } from '../src/docker-watcher.ts';
import { event, eventLine, IDS, inspectInfo } from './fixtures.ts';
import { within } from 'testkit/poll';
import { captureLogs } from './helpers.ts';

type Failure = NodeJS.ErrnoException | 'hang';

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
}

function hasLabels(info: Docker.ContainerInspectInfo, filters: string[]): boolean {
  return filters.every((filter) => {
    const [key = '', value] = filter.split('=');
    const label = info.Config?.Labels?.[key];
    return value === undefined ? label !== undefined : label === value;
  });
}

/** A Docker Engine in memory: containers by id, an events stream the test writes to, and failures on demand. */
class FakeDocker implements DockerApi {
  containers = new Map<string, Docker.ContainerInspectInfo>();
  streams: PassThrough[] = [];
  listings = 0;
  /** The label filters of every events subscription, in order. */
  subscriptions: string[][] = [];
  /** The id (or prefix) of every inspect asked for, in order. */
  inspected: string[] = [];
  failNext: Failure[] = [];
  /** A hung daemon: every call waits until it is given up on. */
  hung = false;
  inspectHangs = false;

  #fail(signal: AbortSignal): Promise<never> | undefined {
    if (this.hung) return hang(signal);
    const failure = this.failNext.shift();
    if (!failure) return undefined;
    if (failure === 'hang') return hang(signal);
    return Promise.reject(failure);
  }

  add(info: Docker.ContainerInspectInfo): void {
    this.containers.set(info.Id, info);
  }

  async listContainerIds(labels: string[], signal: AbortSignal) {
    await this.#fail(signal);
    this.listings++;
    return [...this.containers.values()].filter((info) => hasLabels(info, labels)).map((info) => info.Id);
  }

  /** Like Docker's, it takes any unambiguous prefix of the id. */
  async inspectContainer(id: string, signal: AbortSignal) {
    if (this.inspectHangs) await hang(signal);
    await this.#fail(signal);
    this.inspected.push(id);
    return [...this.containers.values()].find((info) => info.Id.startsWith(id)) ?? null;
  }

  async containerEvents(labels: string[], _actions: readonly string[], signal: AbortSignal) {
    await this.#fail(signal);
    this.subscriptions.push(labels);
    const stream = new PassThrough();
    signal.addEventListener('abort', () => stream.destroy());
    this.streams.push(stream);
    return stream;
  }

  async ping(signal: AbortSignal) {
    await this.#fail(signal);
  }

  get stream(): PassThrough {
    const stream = this.streams.at(-1);
    if (!stream) throw new Error('no events stream yet');
    return stream;
  }
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });
}

const fast = { callTimeoutMs: 100, pingIntervalMs: 50, retryMinMs: 10, retryMaxMs: 40 };

function watch(docker: FakeDocker, options: Partial<WatcherOptions> = {}) {
  const view = new ContainerView('unix:///var/run/docker.sock');
  const { logger, lines } = captureLogs();
  const watcher = new DockerWatcher({ api: docker, view, logger, socketPath: '/var/run/docker.sock', timings: fast, ...options });
  watcher.start();
  return { view, lines, watcher };
}

/** Every change of the view's Docker connection, as readers of /status see it. */
function connectionHistory(view: ContainerView): Array<{ reachable: boolean; error: string | null }> {
  const history: Array<{ reachable: boolean; error: string | null }> = [];
  view.onChange(() => {
    const { reachable, error } = view.connection;
    const last = history.at(-1);
    if (last?.reachable !== reachable || last.error !== error) history.push({ reachable, error });
  });
  return history;
}

const UNREACHABLE = 'Docker Engine unreachable: serving the last known view, reconnecting';
const WATCHING = "watching the assembly's containers";
const NOT_NARROWED = "discovery not narrowed to a compose project: watching every project's labelled containers";

test('lists the containers, then follows events and confirms them with an inspect', async (t) => {
  const docker = new FakeDocker();
  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1, health: 'healthy' }));
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.is(view.containers().length, 1);

  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1, status: 'exited', exitCode: 137, finishedAt: '2026-11-23T11:00:00Z' }));
  docker.stream.write(eventLine(event(IDS.storage1, 'die', 1, { exitCode: '137' })));
  await within(`view.containers()[0]?.finishedAt === '2026-11-23T11:00:00.000Z'`, 5_000, () => view.containers()[0]?.finishedAt === '2026-11-23T11:00:00.000Z');
  t.like(view.containers()[0], { state: 'exited', exitCode: 137 });
});

test('an event split across chunks of the stream is still read', async (t) => {
  const docker = new FakeDocker();
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  docker.containers.set(IDS.storage2, inspectInfo({ id: IDS.storage2, number: 2 }));
  const line = eventLine(event(IDS.storage2, 'start', 1));
  docker.stream.write(line.slice(0, 25));
  docker.stream.write(`${line.slice(25)}not json\n`);
  const { value: started } = await within('a running container in the view', 5_000, () => view.containers().find((c) => c.state === 'running'));
  t.like(started, { id: IDS.storage2.slice(0, 12), appName: 'storage' });
  t.is(view.containers().length, 1, 'the line that is not JSON is ignored');
});

test('a missing socket marks Docker unreachable with the reason, then recovers once it appears', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = [errno('ENOENT'), errno('ENOENT')];
  const { view, lines, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  const history = connectionHistory(view);
  await within('connected once the socket appeared', 5_000, () => view.connection.reachable);
  t.deepEqual(history.at(0), { reachable: false, error: 'no Docker socket at /var/run/docker.sock' });
  t.is(lines.filter((line) => line.msg === 'Docker Engine unreachable: serving the last known view, reconnecting').length, 1);
  t.true(lines.some((line) => line.msg === 'Docker Engine reachable again'));
});

test('permission denied on the socket is logged once, plainly, and retried until access is granted', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = [errno('EACCES'), errno('EACCES'), errno('EACCES')];
  const { view, lines, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  const history = connectionHistory(view);
  await within('docker.failNext.length === 0 && view.connection.reachable', 5_000, () => docker.failNext.length === 0 && view.connection.reachable);
  t.deepEqual(
    lines.filter((line) => line.msg === UNREACHABLE).map(({ level, reason }) => ({ level, reason })),
    [{ level: 40, reason: 'permission denied on /var/run/docker.sock' }],
  );
  t.deepEqual(history, [
    { reachable: false, error: 'permission denied on /var/run/docker.sock' },
    { reachable: true, error: null },
  ]);
});

test('a daemon that does not answer a listing in time counts as unreachable', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = ['hang'];
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  const history = connectionHistory(view);
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.deepEqual(history, [
    { reachable: false, error: 'the Docker Engine did not answer in time' },
    { reachable: true, error: null },
  ]);
});

test('when the event stream ends the view keeps the containers, reconnects and lists afresh', async (t) => {
  const docker = new FakeDocker();
  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1 }));
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  docker.containers.delete(IDS.storage1);
  docker.containers.set(IDS.storage2, inspectInfo({ id: IDS.storage2, number: 2 }));
  // The unreachable spell is as short as the reconnect backoff: watched as it happens, not polled for.
  const shownWhileUnreachable: number[] = [];
  view.onChange(() => {
    if (!view.connection.reachable) shownWhileUnreachable.push(view.containers().length);
  });
  docker.failNext = [errno('ECONNREFUSED')];
  docker.stream.end();
  await within('reconnected and listed afresh', 5_000, () => view.connection.reachable && docker.listings === 2);
  t.true(shownWhileUnreachable.length > 0, 'the end of the stream made Docker unreachable for a while');
  t.true(shownWhileUnreachable.every((count) => count === 1), 'the last known view stays while unreachable');
  t.deepEqual(view.containers().map((c) => c.replica), [2]);
});

test('a daemon that hangs while the event stream is open is noticed by its pings', async (t) => {
  const docker = new FakeDocker();
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  const history = connectionHistory(view);
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  docker.hung = true;
  await within('!view.connection.reachable', 5_000, () => !view.connection.reachable);
  docker.hung = false;
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.deepEqual(history, [
    { reachable: true, error: null },
    { reachable: false, error: 'the Docker Engine did not answer in time' },
    { reachable: true, error: null },
  ]);
});

test('an inspect that times out leaves the event applied', async (t) => {
  const docker = new FakeDocker();
  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1 }));
  const { view, lines, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  docker.inspectHangs = true;
  docker.stream.write(eventLine(event(IDS.storage1, 'die', 1, { exitCode: '0' })));
  await within(`lines.some((line) => line.msg === 'inspect failed'`, 5_000, () => lines.some((line) => line.msg === 'inspect failed'));
  t.is(view.containers()[0]?.state, 'exited');
});

test('stop() ends the watcher at once, even while it waits to reconnect', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = [errno('ECONNREFUSED'), errno('ECONNREFUSED')];
  // A pause longer than the test's timeout: stop() returns only if it cuts the pause short.
  const { view, watcher } = watch(docker, { timings: { ...fast, retryMinMs: 600_000, retryMaxMs: 600_000 } });
  await within(`!view.connection.reachable && view.connection.error !== 'connecting to the Docker Engine'`, 5_000, () => !view.connection.reachable && view.connection.error !== 'connecting to the Docker Engine');
  await watcher.stop();
  await setImmediate();
  t.is(docker.failNext.length, 1, 'one attempt before stop, none after');
});

/** This service's container in compose project demo, one storage replica of demo and one of project other. */
function twoProjects(own: Parameters<typeof inspectInfo>[0]): FakeDocker {
  const docker = new FakeDocker();
  docker.add(inspectInfo(own));
  docker.add(inspectInfo({ id: IDS.storage1, number: 1 }));
  docker.add(inspectInfo({ id: IDS.storage2, number: 1, project: 'other' }));
  return docker;
}

const OWN_ID = IDS.status.slice(0, 12);

test("its own container's compose project narrows discovery, listing and events, to that project", async (t) => {
  const docker = twoProjects({ id: IDS.status, app: 'status' });
  const { view, lines, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.deepEqual(view.containers().map((c) => c.id), [OWN_ID, IDS.storage1.slice(0, 12)]);
  t.deepEqual(docker.subscriptions, [['assembly.app', 'com.docker.compose.project=demo']]);
  t.like(lines.find((line) => line.msg === WATCHING), { project: 'demo', containers: 2 });
  t.false(lines.some((line) => line.msg === NOT_NARROWED));
});

test('outside Docker (no container has its id) discovery is not narrowed, and one line says so', async (t) => {
  const docker = twoProjects({ id: IDS.status, app: 'status' });
  const { view, lines, watcher } = watch(docker, { ownContainerId: 'devbox' });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.is(view.containers().length, 3);
  t.deepEqual(docker.subscriptions, [['assembly.app']]);
  t.deepEqual(
    lines.filter((line) => line.msg === NOT_NARROWED).map(({ level, reason }) => ({ level, reason })),
    [{ level: 30, reason: 'no container has the id devbox (not running in Docker?)' }],
  );
  t.like(lines.find((line) => line.msg === WATCHING), { project: null, containers: 3 });
});

test('its own container without a compose project label: discovery is not narrowed, and one line says so', async (t) => {
  const docker = twoProjects({ id: IDS.status, app: 'status', project: null });
  const { view, lines, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.is(view.containers().length, 3);
  t.deepEqual(
    lines.filter((line) => line.msg === NOT_NARROWED).map(({ reason }) => reason),
    [`container ${OWN_ID} has no com.docker.compose.project label`],
  );
});

test('without HOSTNAME there is no container to look up: not narrowed, and one line says so', async (t) => {
  const docker = twoProjects({ id: IDS.status, app: 'status' });
  const { view, lines, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.is(view.containers().length, 3);
  t.deepEqual(docker.inspected.filter((id) => id.startsWith(OWN_ID)), [IDS.status], 'only the listing inspects it');
  t.deepEqual(
    lines.filter((line) => line.msg === NOT_NARROWED).map(({ reason }) => reason),
    ['HOSTNAME is unset, so there is no container id to look up'],
  );
});

test('the own project is looked up again while Docker is unreachable, then kept across reconnects', async (t) => {
  const docker = twoProjects({ id: IDS.status, app: 'status' });
  docker.failNext = [errno('ECONNREFUSED'), errno('ECONNREFUSED')];
  const { view, lines, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  const history = connectionHistory(view);
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  docker.stream.end();
  await within('docker.listings === 2 && view.connection.reachable', 5_000, () => docker.listings === 2 && view.connection.reachable);
  t.deepEqual(docker.inspected.filter((id) => id === OWN_ID), [OWN_ID], 'asked once it answered, never again');
  t.deepEqual(docker.subscriptions, [
    ['assembly.app', 'com.docker.compose.project=demo'],
    ['assembly.app', 'com.docker.compose.project=demo'],
  ]);
  t.deepEqual(history[0], { reachable: false, error: 'the Docker Engine refused the connection (daemon stopped?)' });
  t.deepEqual(
    lines.filter((line) => line.msg === WATCHING).map(({ project }) => project),
    ['demo'],
    'the project is logged once, with the first listing',
  );
  t.false(lines.some((line) => line.msg === NOT_NARROWED));
});
