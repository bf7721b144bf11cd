import { PassThrough } from 'node:stream';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type Docker from 'dockerode';
import { ContainerView } from '../src/container-view.ts';
import type { DockerApi, SwarmNode, SwarmService, SwarmTask } from '../src/docker-api.ts';
import { DockerWatcher, type WatcherOptions } from '../src/docker-watcher.ts';
import { event, eventLine, IDS, inspectInfo, NODES, nodeInfo, serviceEventLine, serviceInfo, SERVICES, taskContainerId, taskInfo } from './fixtures.ts';
import { within } from 'testkit/poll';
import { captureLogs } from './helpers.ts';

type Failure = NodeJS.ErrnoException | 'hang';

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
}

function hasLabels(labels: Record<string, string> | undefined, filters: string[]): boolean {
  return filters.every((filter) => {
    const [key = '', value] = filter.split('=');
    const label = labels?.[key];
    return value === undefined ? label !== undefined : label === value;
  });
}

/**
 * A Docker Engine in memory: containers by id, an events stream the test writes to, and failures on
 * demand; for swarm mode also services, their tasks and the nodes, as a manager answers for them.
 */
class FakeDocker implements DockerApi {
  containers = new Map<string, Docker.ContainerInspectInfo>();
  services: SwarmService[] = [];
  tasks: SwarmTask[] = [];
  nodes = new Map<string, SwarmNode>();
  streams: PassThrough[] = [];
  listings = 0;
  /** Every call, by its name in DockerApi, in order. */
  calls: Array<keyof DockerApi> = [];
  /** The label filters of every events subscription, in order. */
  subscriptions: string[][] = [];
  /** The id (or prefix) of every inspect asked for, in order. */
  inspected: string[] = [];
  /** The service ids of every task listing, in order. */
  taskListings: string[][] = [];
  /** The id of every node inspect, in order. */
  inspectedNodes: string[] = [];
  failNext: Failure[] = [];
  /** A hung daemon: every call waits until it is given up on. */
  hung = false;
  inspectHangs = false;
  /** Runs after each listing of services, before it is answered: a test changes the swarm in between. */
  afterListServices: () => void = () => undefined;

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
    this.calls.push('listContainerIds');
    await this.#fail(signal);
    this.listings++;
    return [...this.containers.values()].filter((info) => hasLabels(info.Config?.Labels, labels)).map((info) => info.Id);
  }

  /** Like Docker's, it takes any unambiguous prefix of the id. */
  async inspectContainer(id: string, signal: AbortSignal) {
    this.calls.push('inspectContainer');
    if (this.inspectHangs) await hang(signal);
    await this.#fail(signal);
    this.inspected.push(id);
    return [...this.containers.values()].find((info) => info.Id.startsWith(id)) ?? null;
  }

  async containerEvents(labels: string[], _actions: readonly string[], signal: AbortSignal) {
    this.calls.push('containerEvents');
    await this.#fail(signal);
    this.subscriptions.push(labels);
    return this.#openStream(signal);
  }

  async ping(signal: AbortSignal) {
    this.calls.push('ping');
    await this.#fail(signal);
  }

  async listServices(labels: string[], signal: AbortSignal) {
    this.calls.push('listServices');
    await this.#fail(signal);
    const services = this.services.filter((service) => hasLabels(service.Spec?.Labels, labels));
    this.afterListServices();
    return services;
  }

  /** Like Docker's, null (a 404) when one of the services does not exist. */
  async listTasks(serviceIds: string[], signal: AbortSignal) {
    this.calls.push('listTasks');
    await this.#fail(signal);
    this.taskListings.push(serviceIds);
    if (!serviceIds.every((id) => this.services.some((service) => service.ID === id))) return null;
    return this.tasks.filter((task) => serviceIds.includes(task.ServiceID));
  }

  async inspectNode(id: string, signal: AbortSignal) {
    this.calls.push('inspectNode');
    await this.#fail(signal);
    this.inspectedNodes.push(id);
    return this.nodes.get(id) ?? null;
  }

  async swarmEvents(_actions: readonly string[], signal: AbortSignal) {
    this.calls.push('swarmEvents');
    await this.#fail(signal);
    return this.#openStream(signal);
  }

  get stream(): PassThrough {
    const stream = this.streams.at(-1);
    if (!stream) throw new Error('no events stream yet');
    return stream;
  }

  #openStream(signal: AbortSignal): PassThrough {
    const stream = new PassThrough();
    signal.addEventListener('abort', () => stream.destroy());
    this.streams.push(stream);
    return stream;
  }
}

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} /var/run/docker.sock`), { code });
}

const fast = { callTimeoutMs: 100, pingIntervalMs: 50, taskPollMs: 20, retryMinMs: 10, retryMaxMs: 40 };

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
const SWARM_CALLS: string[] = ['listServices', 'listTasks', 'inspectNode', 'swarmEvents'];

test("its own container's compose project narrows discovery, listing and events, to that project", async (t) => {
  const docker = twoProjects({ id: IDS.status, app: 'status' });
  const { view, lines, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.deepEqual(view.containers().map((c) => c.id), [OWN_ID, IDS.storage1.slice(0, 12)]);
  t.deepEqual(docker.subscriptions, [['assembly.app', 'com.docker.compose.project=demo']]);
  t.like(lines.find((line) => line.msg === WATCHING), { project: 'demo', containers: 2 });
  t.false(lines.some((line) => line.msg === NOT_NARROWED));
  t.true(view.containers().every((c) => c.node === null), 'outside swarm mode no container has a node');
  t.deepEqual(docker.calls.filter((call) => SWARM_CALLS.includes(call)), [], 'and no swarm call is made');
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

/**
 * Swarm mode: stack demo on two nodes. This service's own container (on the manager) carries the stack's
 * label; its task, and two storage replicas, one on each node. A service of stack other runs too.
 */
function swarm(): FakeDocker {
  const docker = new FakeDocker();
  docker.add(inspectInfo({ id: IDS.status, app: 'status', project: null, stack: 'demo' }));
  docker.services = [
    serviceInfo(SERVICES.storage, 'demo_storage'),
    serviceInfo(SERVICES.status, 'demo_status'),
    serviceInfo(SERVICES.other, 'other_storage', 'other'),
  ];
  docker.tasks = [
    taskInfo({ id: 'status1', service: SERVICES.status, app: 'status', node: NODES.manager }),
    taskInfo({ id: 'storage1', slot: 1, node: NODES.manager, addresses: ['10.0.1.5/24'] }),
    taskInfo({ id: 'storage2', slot: 2, node: NODES.worker, addresses: ['10.0.1.6/24'] }),
    taskInfo({ id: 'other1', service: SERVICES.other, node: NODES.worker }),
  ];
  docker.nodes.set(NODES.manager, nodeInfo(NODES.manager, 'manager-1'));
  docker.nodes.set(NODES.worker, nodeInfo(NODES.worker, 'worker-1'));
  return docker;
}

const byName = (view: ContainerView, name: string) => view.containers().find((c) => c.name === name);

test("its own container's stack label means swarm mode: the stack's tasks with their nodes, from the swarm's read calls only", async (t) => {
  const docker = swarm();
  const { view, lines, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.deepEqual(view.containers().map((c) => [c.appName, c.replica, c.name, c.node, c.addresses]), [
    ['status', 1, 'demo_status.1.status1', 'manager-1', []],
    ['storage', 1, 'demo_storage.1.storage1', 'manager-1', ['10.0.1.5']],
    ['storage', 2, 'demo_storage.2.storage2', 'worker-1', ['10.0.1.6']],
  ]);
  t.deepEqual(docker.taskListings[0], [SERVICES.storage, SERVICES.status], "one task listing for the stack's services, not another stack's");
  t.deepEqual([...new Set(docker.calls)].sort(), ['inspectContainer', 'inspectNode', 'listServices', 'listTasks', 'swarmEvents']);
  t.deepEqual(docker.inspected, [OWN_ID], 'no container is inspected but its own');
  t.like(lines.find((line) => line.msg === WATCHING), { stack: 'demo', containers: 3 });
  t.false(lines.some((line) => line.msg === NOT_NARROWED));
});

test('a stack named by the stack file (STACK_NAMESPACE) means swarm mode without looking up its own container, which another node may hold', async (t) => {
  const docker = swarm();
  const { view, watcher } = watch(docker, { ownContainerId: 'on-another-node', stack: 'demo' });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.deepEqual(view.containers().map((c) => c.name), ['demo_status.1.status1', 'demo_storage.1.storage1', 'demo_storage.2.storage2']);
  t.deepEqual(docker.inspected, [], 'its own container is not looked up');
});

test('swarm mode: the tasks are listed again every taskPollMs, so a change shows without any event', async (t) => {
  const docker = swarm();
  const { view, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  docker.tasks[1] = taskInfo({ id: 'storage1', slot: 1, desired: 'shutdown', state: 'failed', exitCode: 137 });
  await within('storage 1 exited', 5_000, () => byName(view, 'demo_storage.1.storage1')?.state === 'exited');
  t.like(byName(view, 'demo_storage.1.storage1'), { exitCode: 137, node: 'manager-1' });
});

test('swarm mode: a service or container event has the tasks listed at once, not at the next poll', async (t) => {
  const docker = swarm();
  // A poll interval longer than the test: only the events can bring the changes.
  const { view, watcher } = watch(docker, { ownContainerId: OWN_ID, timings: { ...fast, taskPollMs: 600_000 } });
  t.teardown(() => watcher.stop());
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.is(docker.taskListings.length, 1);

  docker.tasks.push(taskInfo({ id: 'storage3', slot: 3, node: NODES.worker }));
  docker.stream.write(serviceEventLine(SERVICES.storage, 'update', 'demo_storage', 1));
  await within('storage 3 shown', 5_000, () => byName(view, 'demo_storage.3.storage3'));
  t.is(docker.taskListings.length, 2, 'one listing, after the service event');

  docker.tasks[1] = taskInfo({ id: 'storage1', slot: 1, desired: 'shutdown', state: 'failed', exitCode: 137 });
  docker.stream.write(eventLine(event(taskContainerId('storage1'), 'die', 2, { exitCode: '137', 'com.docker.stack.namespace': 'demo' })));
  await within('storage 1 exited', 5_000, () => byName(view, 'demo_storage.1.storage1')?.state === 'exited');
  t.is(docker.taskListings.length, 3, 'one listing, after the container event');
});

test('swarm mode: a listing that fails marks Docker unreachable, keeping the last view, and it recovers', async (t) => {
  const docker = swarm();
  const { view, lines, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  const history = connectionHistory(view);
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  const shownWhileUnreachable: number[] = [];
  view.onChange(() => {
    if (!view.connection.reachable) shownWhileUnreachable.push(view.containers().length);
  });
  docker.failNext = [errno('ECONNREFUSED')];
  await within('unreachable, then reachable again', 5_000, () => history.length === 3 && view.connection.reachable);
  t.deepEqual(history, [
    { reachable: true, error: null },
    { reachable: false, error: 'the Docker Engine refused the connection (daemon stopped?)' },
    { reachable: true, error: null },
  ]);
  t.deepEqual(shownWhileUnreachable, [3], 'the last known tasks stay while unreachable');
  t.true(lines.some((line) => line.msg === 'Docker Engine reachable again'));

  docker.hung = true;
  await within('a hanging listing counts as unreachable', 5_000, () => view.connection.error === 'the Docker Engine did not answer in time');
  docker.hung = false;
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  t.is(view.containers().length, 3);
});

test("swarm mode: each node's hostname is asked once, however many listings; a node the swarm no longer knows is named by its id", async (t) => {
  const docker = swarm();
  const { view, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  await within('five listings', 5_000, () => docker.taskListings.length >= 5);
  t.deepEqual([...docker.inspectedNodes].sort(), [NODES.manager, NODES.worker]);

  const gone = 'gonenode00000000000000000';
  docker.tasks.push(taskInfo({ id: 'storage3', slot: 3, node: gone, desired: 'shutdown', state: 'orphaned' }));
  await within('storage 3 shown', 5_000, () => byName(view, 'demo_storage.3.storage3'));
  t.is(byName(view, 'demo_storage.3.storage3')?.node, gone);
  const listings = docker.taskListings.length;
  await within('three more listings', 5_000, () => docker.taskListings.length >= listings + 3);
  t.is(docker.inspectedNodes.filter((id) => id === NODES.worker).length, 1);
  t.true(docker.inspectedNodes.filter((id) => id === gone).length >= 3, 'an unknown node is asked again');
});

test('swarm mode: a service removed between listing the services and their tasks skips that listing, and Docker stays reachable', async (t) => {
  const docker = swarm();
  const { view, watcher } = watch(docker, { ownContainerId: OWN_ID });
  t.teardown(() => watcher.stop());
  const history = connectionHistory(view);
  await within('view.connection.reachable', 5_000, () => view.connection.reachable);
  const asked = docker.taskListings.length;
  const shown: number[] = [];
  view.onChange(() => shown.push(view.containers().length));
  docker.afterListServices = () => {
    docker.afterListServices = () => undefined;
    docker.services = docker.services.filter((service) => service.ID !== SERVICES.status);
    docker.tasks = docker.tasks.filter((task) => task.ServiceID !== SERVICES.status);
  };
  await within('the status task gone', 5_000, () => !view.containers().some((c) => c.appName === 'status'));
  t.true(docker.taskListings[asked]?.includes(SERVICES.status), 'the skipped listing asked for the removed service');
  t.deepEqual(history, [{ reachable: true, error: null }]);
  t.deepEqual(shown, [2], 'the view went from all three tasks to the two left, never through an empty listing');
});

test('swarm mode: stop() ends the polling', async (t) => {
  const docker = swarm();
  const { view, watcher } = watch(docker, { ownContainerId: OWN_ID });
  await within('two listings', 5_000, () => view.connection.reachable && docker.taskListings.length >= 2);
  await watcher.stop();
  const listings = docker.taskListings.length;
  await sleep(10 * fast.taskPollMs);
  t.is(docker.taskListings.length, listings);
  t.true(docker.stream.destroyed, 'the event stream is closed');
});
