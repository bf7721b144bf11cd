import test from 'ava';
import { fromInspect } from '../src/container-status.ts';
import { ContainerView } from '../src/container-view.ts';
import { observe } from '../src/docker-watcher.ts';
import { event, IDS, inspectInfo } from './fixtures.ts';

function viewWith(...infos: Parameters<typeof inspectInfo>[0][]) {
  const view = new ContainerView('unix:///var/run/docker.sock', new Date('2026-11-23T10:00:00Z'));
  view.replaceAll(infos.map((init) => observe(inspectInfo(init))), new Date('2026-11-23T10:00:01Z'));
  let changes = 0;
  view.onChange(() => changes++);
  return { view, changes: () => changes };
}

const stateOf = (view: ContainerView, id: string) => view.containers().find((c) => id.startsWith(c.id));

test('a listing fills the view, ordered by app and replica, and marks Docker reachable', (t) => {
  const { view } = viewWith(
    { id: IDS.storage2, number: 2, health: 'healthy' },
    { id: IDS.status, app: 'status', number: 1 },
    { id: IDS.storage1, number: 1, health: 'healthy' },
  );
  t.deepEqual(
    view.containers().map((c) => [c.appName, c.replica]),
    [['status', 1], ['storage', 1], ['storage', 2]],
  );
  t.like(view.connection, { reachable: true, error: null, lastSyncAt: '2026-11-23T10:00:01.000Z' });
});

test('inspect documents become statuses: short id, no leading slash, zero times as null, health only while running', (t) => {
  const running = fromInspect(inspectInfo({ id: IDS.storage1, number: 3, health: 'healthy', address: '172.20.0.4' }));
  t.like(running, {
    id: IDS.storage1.slice(0, 12),
    name: 'demo_storage_3',
    appName: 'storage',
    replica: 3,
    state: 'running',
    health: 'healthy',
    startedAt: '2026-11-23T10:00:00.000Z',
    finishedAt: null,
    exitCode: null,
    addresses: ['172.20.0.4'],
  });
  const exited = fromInspect(
    inspectInfo({ id: IDS.storage1, status: 'exited', health: 'unhealthy', exitCode: 137, finishedAt: '2026-11-23T10:05:00.5Z' }),
  );
  t.like(exited, { state: 'exited', health: 'none', exitCode: 137, finishedAt: '2026-11-23T10:05:00.500Z' });
  t.is(fromInspect(inspectInfo({ id: IDS.storage1, status: 'created', startedAt: '0001-01-01T00:00:00Z' })).startedAt, null);
  t.is(fromInspect(inspectInfo({ id: IDS.storage1, status: 'something-new' })).state, 'dead');
});

test('die, start and health events change the view at once, before any inspect answers', (t) => {
  const { view, changes } = viewWith({ id: IDS.storage1, number: 1, health: 'healthy' });
  t.not(view.applyEvent(event(IDS.storage1, 'die', 10, { exitCode: '137' })), null);
  t.like(stateOf(view, IDS.storage1), { state: 'exited', exitCode: 137, health: 'none' });
  view.applyEvent(event(IDS.storage1, 'start', 11));
  t.like(stateOf(view, IDS.storage1), { state: 'running', health: 'starting', exitCode: null });
  view.applyEvent(event(IDS.storage1, 'health_status: healthy', 12));
  t.like(stateOf(view, IDS.storage1), { health: 'healthy' });
  view.applyEvent(event(IDS.storage1, 'pause', 13));
  t.like(stateOf(view, IDS.storage1), { state: 'paused' });
  view.applyEvent(event(IDS.storage1, 'unpause', 14));
  t.like(stateOf(view, IDS.storage1), { state: 'running' });
  t.is(changes(), 5);
});

test('an event older than one already applied is ignored', (t) => {
  const { view } = viewWith({ id: IDS.storage1, number: 1 });
  view.applyEvent(event(IDS.storage1, 'die', 20, { exitCode: '0' }));
  t.is(view.applyEvent(event(IDS.storage1, 'start', 19)), null);
  t.is(stateOf(view, IDS.storage1)?.state, 'exited');
});

test('a duplicate event changes nothing a reader can see', (t) => {
  const { view, changes } = viewWith({ id: IDS.storage1, number: 1 });
  const die = event(IDS.storage1, 'die', 5, { exitCode: '1' });
  view.applyEvent(die);
  const after = JSON.stringify(view.containers());
  view.applyEvent(die);
  t.is(JSON.stringify(view.containers()), after);
  t.is(changes(), 1);
});

test('an inspect answer overtaken by a newer event is dropped; the newest one is applied', (t) => {
  const { view } = viewWith({ id: IDS.storage1, number: 1 });
  const first = view.applyEvent(event(IDS.storage1, 'die', 1, { exitCode: '0' }));
  const second = view.applyEvent(event(IDS.storage1, 'start', 2));
  t.truthy(first && second);
  view.applyInspect(IDS.storage1, first!, observe(inspectInfo({ id: IDS.storage1, number: 1, status: 'exited' })));
  t.is(stateOf(view, IDS.storage1)?.state, 'running');
  view.applyInspect(IDS.storage1, second!, observe(inspectInfo({ id: IDS.storage1, number: 1, restartCount: 2 })));
  t.like(stateOf(view, IDS.storage1), { state: 'running', restartCount: 2 });
});

test('destroy removes the container; late events and inspects do not bring it back', (t) => {
  const { view } = viewWith({ id: IDS.storage1, number: 1 }, { id: IDS.storage2, number: 2 });
  const generation = view.applyEvent(event(IDS.storage1, 'die', 1));
  view.applyEvent(event(IDS.storage1, 'destroy', 2));
  t.is(stateOf(view, IDS.storage1), undefined);
  view.applyInspect(IDS.storage1, generation!, observe(inspectInfo({ id: IDS.storage1 })));
  t.is(view.applyEvent(event(IDS.storage1, 'stop', 1.5)), null);
  t.is(stateOf(view, IDS.storage1), undefined);
  t.is(view.containers().length, 1);
});

test('an inspect that finds the container gone removes it', (t) => {
  const { view } = viewWith({ id: IDS.storage1, number: 1 });
  const generation = view.applyEvent(event(IDS.storage1, 'kill', 1));
  view.applyInspect(IDS.storage1, generation!, null);
  t.deepEqual(view.containers(), []);
});

test('a container first seen in an event is added from its labels, then completed by its inspect', (t) => {
  const { view } = viewWith();
  const generation = view.applyEvent(event(IDS.storage2, 'create', 1, { name: 'demo_storage_2', 'com.docker.compose.container-number': '2' }));
  t.like(stateOf(view, IDS.storage2), { state: 'created', name: 'demo_storage_2', replica: 2, appName: 'storage' });
  view.applyInspect(IDS.storage2, generation!, observe(inspectInfo({ id: IDS.storage2, number: 2, status: 'created' })));
  view.applyEvent(event(IDS.storage2, 'start', 2));
  t.is(stateOf(view, IDS.storage2)?.state, 'running');
});

test('events of containers without the assembly.app label are ignored', (t) => {
  const { view, changes } = viewWith();
  t.is(view.applyEvent({ ...event(IDS.storage1, 'start', 1), attributes: { name: 'other' } }), null);
  t.deepEqual(view.containers(), []);
  t.is(changes(), 0);
});

test('rename takes the new name', (t) => {
  const { view } = viewWith({ id: IDS.storage1, number: 1 });
  view.applyEvent(event(IDS.storage1, 'rename', 1, { name: '/renamed', oldName: '/demo_storage_1' }));
  t.is(stateOf(view, IDS.storage1)?.name, 'renamed');
});

test('unreachable keeps the last view and says why and since when; the same reason again is no change', (t) => {
  const { view, changes } = viewWith({ id: IDS.storage1, number: 1 });
  view.markUnreachable('no Docker socket at /x', new Date('2026-11-23T10:01:00Z'));
  view.markUnreachable('no Docker socket at /x', new Date('2026-11-23T10:01:05Z'));
  t.like(view.connection, { reachable: false, error: 'no Docker socket at /x', since: '2026-11-23T10:01:00.000Z' });
  t.is(view.containers().length, 1);
  t.is(changes(), 1);
});

test('a fresh listing after a reconnect replaces the view: vanished containers go, new ones appear', (t) => {
  const { view } = viewWith({ id: IDS.storage1, number: 1 }, { id: IDS.storage2, number: 2 });
  const stale = view.applyEvent(event(IDS.storage2, 'die', 1));
  view.markUnreachable('the Docker event stream ended', new Date('2026-11-23T10:02:00Z'));
  view.replaceAll([observe(inspectInfo({ id: IDS.storage2, number: 2 })), observe(inspectInfo({ id: IDS.status, app: 'status' }))], new Date('2026-11-23T10:02:03Z'));
  view.applyInspect(IDS.storage2, stale!, observe(inspectInfo({ id: IDS.storage2, number: 2, status: 'exited' })));
  t.deepEqual(view.containers().map((c) => [c.appName, c.state]), [['status', 'running'], ['storage', 'running']]);
  t.like(view.connection, { reachable: true, since: '2026-11-23T10:02:03.000Z', lastSyncAt: '2026-11-23T10:02:03.000Z', error: null });
});

test('ids are found by any prefix of the full id', (t) => {
  const { view } = viewWith({ id: IDS.storage1, number: 1 }, { id: IDS.storage2, number: 2 });
  t.is(view.withIdPrefix('a').length, 2);
  t.is(view.withIdPrefix('a1').length, 1);
  t.is(view.withIdPrefix(IDS.storage2).length, 1);
  t.is(view.withIdPrefix('ff').length, 0);
});
