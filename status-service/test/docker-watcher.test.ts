import { PassThrough } from 'node:stream';
import test from 'ava';
import type Docker from 'dockerode';
import { ContainerView } from '../src/container-view.ts';
import type { DockerApi } from '../src/docker-api.ts';
import { DockerWatcher } from '../src/docker-watcher.ts';
import { event, eventLine, IDS, inspectInfo } from './fixtures.ts';
import { captureLogs, eventually } from './helpers.ts';

type Failure = NodeJS.ErrnoException | 'hang';

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
}

/** A Docker Engine in memory: containers by id, an events stream the test writes to, and failures on demand. */
class FakeDocker implements DockerApi {
  containers = new Map<string, Docker.ContainerInspectInfo>();
  streams: PassThrough[] = [];
  listings = 0;
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

  async listContainerIds(_labels: string[], signal: AbortSignal) {
    await this.#fail(signal);
    this.listings++;
    return [...this.containers.keys()];
  }

  async inspectContainer(id: string, signal: AbortSignal) {
    if (this.inspectHangs || this.hung) await hang(signal);
    return this.containers.get(id) ?? null;
  }

  async containerEvents(_labels: string[], _actions: readonly string[], signal: AbortSignal) {
    await this.#fail(signal);
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

function watch(docker: FakeDocker, socketPath = '/var/run/docker.sock') {
  const view = new ContainerView('unix:///var/run/docker.sock');
  const { logger, lines } = captureLogs();
  const watcher = new DockerWatcher({ api: docker, view, logger, socketPath, timings: fast });
  watcher.start();
  return { view, lines, watcher };
}

test('lists the containers, then follows events and confirms them with an inspect', async (t) => {
  const docker = new FakeDocker();
  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1, health: 'healthy' }));
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await eventually(() => view.connection.reachable);
  t.is(view.containers().length, 1);

  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1, status: 'exited', exitCode: 137, finishedAt: '2026-11-23T11:00:00Z' }));
  docker.stream.write(eventLine(event(IDS.storage1, 'die', 1, { exitCode: '137' })));
  await eventually(() => view.containers()[0]?.finishedAt === '2026-11-23T11:00:00.000Z');
  t.like(view.containers()[0], { state: 'exited', exitCode: 137 });
});

test('an event split across chunks of the stream is still read', async (t) => {
  const docker = new FakeDocker();
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await eventually(() => view.connection.reachable);
  docker.containers.set(IDS.storage2, inspectInfo({ id: IDS.storage2, number: 2 }));
  const line = eventLine(event(IDS.storage2, 'start', 1));
  docker.stream.write(line.slice(0, 25));
  docker.stream.write(`${line.slice(25)}not json\n`);
  await eventually(() => view.containers().some((c) => c.state === 'running'));
  t.pass();
});

test('a missing socket marks Docker unreachable with the reason, then recovers once it appears', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = [errno('ENOENT'), errno('ENOENT')];
  const { view, lines, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await eventually(() => view.connection.error === 'no Docker socket at /var/run/docker.sock');
  t.false(view.connection.reachable);
  await eventually(() => view.connection.reachable);
  t.is(lines.filter((line) => line.msg === 'Docker Engine unreachable: serving the last known view, reconnecting').length, 1);
  t.true(lines.some((line) => line.msg === 'Docker Engine reachable again'));
});

test('permission denied logs one line saying which group owns the socket and what to set', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = [errno('EACCES'), errno('EACCES'), errno('EACCES')];
  // Any existing path will do: the advice names the group that owns it.
  const { view, lines, watcher } = watch(docker, import.meta.filename);
  t.teardown(() => watcher.stop());
  await eventually(() => docker.failNext.length === 0 && view.connection.reachable);
  const advice = lines.filter((line) => String(line.msg).startsWith('permission denied'));
  t.is(advice.length, 1);
  t.regex(String(advice[0]?.msg), /belongs to group \d+.*set DOCKER_GID=\d+ in \.env/);
});

test('a daemon that does not answer a listing in time counts as unreachable', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = ['hang'];
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await eventually(() => view.connection.error === 'the Docker Engine did not answer in time');
  await eventually(() => view.connection.reachable);
  t.pass();
});

test('when the event stream ends the view keeps the containers, reconnects and lists afresh', async (t) => {
  const docker = new FakeDocker();
  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1 }));
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await eventually(() => view.connection.reachable);
  docker.containers.delete(IDS.storage1);
  docker.containers.set(IDS.storage2, inspectInfo({ id: IDS.storage2, number: 2 }));
  docker.failNext = [errno('ECONNREFUSED')];
  docker.stream.end();
  await eventually(() => !view.connection.reachable);
  t.is(view.containers().length, 1, 'the last known view stays while unreachable');
  await eventually(() => view.connection.reachable && docker.listings === 2);
  t.deepEqual(view.containers().map((c) => c.replica), [2]);
});

test('a daemon that hangs while the event stream is open is noticed by its pings', async (t) => {
  const docker = new FakeDocker();
  const { view, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await eventually(() => view.connection.reachable);
  docker.hung = true;
  await eventually(() => view.connection.error === 'the Docker Engine did not answer in time');
  docker.hung = false;
  await eventually(() => view.connection.reachable);
  t.pass();
});

test('an inspect that times out leaves the event applied', async (t) => {
  const docker = new FakeDocker();
  docker.containers.set(IDS.storage1, inspectInfo({ id: IDS.storage1, number: 1 }));
  const { view, lines, watcher } = watch(docker);
  t.teardown(() => watcher.stop());
  await eventually(() => view.connection.reachable);
  docker.inspectHangs = true;
  docker.stream.write(eventLine(event(IDS.storage1, 'die', 1, { exitCode: '0' })));
  await eventually(() => lines.some((line) => line.msg === 'inspect failed'));
  t.is(view.containers()[0]?.state, 'exited');
});

test('stop() ends the watcher promptly, even while it waits to reconnect', async (t) => {
  const docker = new FakeDocker();
  docker.failNext = Array.from({ length: 100 }, () => errno('ECONNREFUSED'));
  const { view, watcher } = watch(docker);
  await eventually(() => !view.connection.reachable && view.connection.error !== 'connecting to the Docker Engine');
  await watcher.stop();
  const attempts = docker.failNext.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(docker.failNext.length, attempts, 'no attempt after stop');
});
