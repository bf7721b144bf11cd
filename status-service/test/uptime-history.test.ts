import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import type { ContainerStatus } from '../src/schemas.ts';
import { conditionOf, routedApps, type Condition } from '../src/uptime-condition.ts';
import { UptimeHistory, uptimeWithin, type Change } from '../src/uptime-history.ts';
import { startApp } from './helpers.ts';

/** A JSON body for assertions; `any` keeps the tests about values, not types. */
const json = async (res: Response): Promise<any> => res.json();

const T = Date.parse('2026-12-04T00:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number) => new Date(ms).toISOString();
const up: Condition = { up: true };
const killed: Condition = { up: false, state: 'killed', exitCode: 137, reason: 'killed by signal 9 (exit code 137)' };
const unhealthy: Condition = { up: false, state: 'unhealthy', exitCode: null, reason: "Docker's health check calls it unhealthy" };

test('availability is the share of the window it was up; an incident runs from the change that took it down to the one that brought it up', (t) => {
  const changes: Change[] = [
    { at: T, condition: up },
    { at: T + 10 * MIN, condition: killed },
    { at: T + 15 * MIN, condition: up },
  ];
  const uptime = uptimeWithin(changes, { firstSeen: T, removedAt: null }, { since: T, until: T + HOUR });
  t.deepEqual(uptime, {
    upMs: 55 * MIN,
    observedMs: HOUR,
    incidents: [{ from: iso(T + 10 * MIN), to: iso(T + 15 * MIN), state: 'killed', exitCode: 137, reason: 'killed by signal 9 (exit code 137)' }],
  });
});

test('an incident that began before the window is reported whole, but only its part within the window counts', (t) => {
  const changes: Change[] = [
    { at: T, condition: up },
    { at: T + 10 * MIN, condition: killed },
    // Still down, for another reason: the same incident, as it began.
    { at: T + 20 * MIN, condition: unhealthy },
    { at: T + 40 * MIN, condition: up },
  ];
  const uptime = uptimeWithin(changes, { firstSeen: T, removedAt: null }, { since: T + 30 * MIN, until: T + 90 * MIN })!;
  t.is(uptime.upMs, 50 * MIN);
  t.is(uptime.observedMs, 60 * MIN);
  t.deepEqual(uptime.incidents.map((i) => [i.from, i.to, i.state]), [[iso(T + 10 * MIN), iso(T + 40 * MIN), 'killed']]);
});

test('an incident that lasts past the end of the window is open (to null); one that ended before the window is left out', (t) => {
  const changes: Change[] = [
    { at: T, condition: killed },
    { at: T + 5 * MIN, condition: up },
    { at: T + 50 * MIN, condition: unhealthy },
  ];
  const uptime = uptimeWithin(changes, { firstSeen: T, removedAt: null }, { since: T + 10 * MIN, until: T + 60 * MIN })!;
  t.is(uptime.upMs, 40 * MIN);
  t.is(uptime.observedMs, 50 * MIN);
  t.deepEqual(uptime.incidents, [{ from: iso(T + 50 * MIN), to: null, state: 'unhealthy', exitCode: null, reason: "Docker's health check calls it unhealthy" }]);
});

test('only the time a container existed counts: from its first sighting until its removal, which ends an incident', (t) => {
  const changes: Change[] = [
    { at: T + 30 * MIN, condition: up },
    { at: T + 40 * MIN, condition: killed },
  ];
  const uptime = uptimeWithin(changes, { firstSeen: T + 30 * MIN, removedAt: T + 50 * MIN }, { since: T, until: T + HOUR })!;
  t.is(uptime.upMs, 10 * MIN);
  t.is(uptime.observedMs, 20 * MIN);
  t.deepEqual(uptime.incidents.map((i) => [i.from, i.to]), [[iso(T + 40 * MIN), iso(T + 50 * MIN)]]);
  t.is(uptimeWithin(changes, { firstSeen: T + 30 * MIN, removedAt: T + 50 * MIN }, { since: T + HOUR, until: T + 2 * HOUR }), null);
});

const container = (init: Partial<ContainerStatus>): ContainerStatus => ({
  id: 'a1a1a1a1a1a1',
  name: 'demo_storage_1',
  appName: 'storage',
  replica: 1,
  state: 'running',
  health: 'none',
  startedAt: null,
  finishedAt: null,
  restartCount: 0,
  exitCode: null,
  image: 'storage',
  addresses: ['10.0.0.2'],
  node: null,
  gateway: null,
  resources: null,
  ...init,
});

test("a container's condition: killed on a signal's exit code, exited otherwise, unhealthy, and the gateway's view where it routes the app", (t) => {
  const routed = new Set(['storage']);
  t.like(conditionOf(container({ state: 'exited', exitCode: 137 }), routed), { up: false, state: 'killed', exitCode: 137, reason: 'killed by signal 9 (exit code 137)' });
  t.like(conditionOf(container({ state: 'exited', exitCode: 1 }), routed), { up: false, state: 'exited', reason: 'exited with code 1' });
  t.like(conditionOf(container({ state: 'paused' }), routed), { up: false, state: 'paused' });
  t.like(conditionOf(container({ health: 'unhealthy' }), routed), { up: false, state: 'unhealthy' });
  const gateway = (status: 'UP' | 'DOWN' | 'NOT_ROUTED') => ({ status, service: null, url: null });
  t.like(conditionOf(container({ gateway: gateway('DOWN') }), routed), { up: false, state: 'gateway-down' });
  t.like(conditionOf(container({ gateway: gateway('NOT_ROUTED') }), routed), { up: false, state: 'not-routed' });
  t.deepEqual(conditionOf(container({ gateway: gateway('UP') }), routed), { up: true });
  // The gateway routes no container of the app (the Docker API proxy): running is up.
  t.deepEqual(conditionOf(container({ appName: 'docker-api', gateway: gateway('NOT_ROUTED') }), routed), { up: true });
  // No gateway view at all: running is up.
  t.deepEqual(conditionOf(container({}), routed), { up: true });
  t.deepEqual(routedApps([container({ gateway: gateway('UP') }), container({ appName: 'docker-api', gateway: gateway('NOT_ROUTED') })]), new Set(['storage']));
});

async function historyFile(t: import('ava').ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'status-history-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'history.sqlite');
}

const storage1 = { id: 'a1a1a1a1a1a1', name: 'demo_storage_1', appName: 'storage' };
const storage2 = { id: 'a2a2a2a2a2a2', name: 'demo_storage_2', appName: 'storage' };

test('the history stores changes only, survives a reopen, and reports per container and per app', async (t) => {
  const path = await historyFile(t);
  const first = new UptimeHistory(path, 7);
  first.observe([{ container: storage1, condition: up }, { container: storage2, condition: up }], T);
  first.observe([{ container: storage1, condition: up }, { container: storage2, condition: up }], T + 10 * MIN);
  // Killed at T+20 (Docker's exit time), seen at T+21.
  first.observe([{ container: storage1, condition: killed, since: T + 20 * MIN }, { container: storage2, condition: up }], T + 21 * MIN);
  first.close();

  const reopened = new UptimeHistory(path, 7);
  t.teardown(() => reopened.close());
  reopened.observe([{ container: storage1, condition: killed }, { container: storage2, condition: up }], T + 25 * MIN);
  reopened.observe([{ container: storage1, condition: up }, { container: storage2, condition: up }], T + 30 * MIN);
  const report = reopened.report({}, { since: T, until: T + HOUR });
  t.is(report.since, iso(T));
  t.is(report.until, iso(T + HOUR));
  t.deepEqual(report.containers.map((c) => [c.id, c.availability, c.incidents.map((i) => [i.from, i.to, i.state])]), [
    [storage1.id, 50 / 60, [[iso(T + 20 * MIN), iso(T + 30 * MIN), 'killed']]],
    [storage2.id, 1, []],
  ]);
  t.deepEqual(report.apps, { storage: { availability: 110 / 120 } });
  t.deepEqual(reopened.report({ id: 'a2' }, { since: T, until: T + HOUR }).containers.map((c) => c.id), [storage2.id]);
  t.deepEqual(reopened.report({ appName: 'status' }, { since: T, until: T + HOUR }), { since: iso(T), until: iso(T + HOUR), apps: {}, containers: [] });
});

test('a removed container ends its open incident at its removal; past the retention it is forgotten', async (t) => {
  const history = new UptimeHistory(':memory:', 1);
  t.teardown(() => history.close());
  history.observe([{ container: storage1, condition: up }, { container: storage2, condition: up }], T);
  history.observe([{ container: storage1, condition: killed }, { container: storage2, condition: up }], T + 10 * MIN);
  history.removeAllBut(new Set([storage2.id]), T + 20 * MIN);
  const [removed] = history.report({ id: storage1.id }, { since: T, until: T + HOUR }).containers;
  t.is(removed!.availability, 0.5);
  t.deepEqual(removed!.incidents.map((i) => [i.from, i.to]), [[iso(T + 10 * MIN), iso(T + 20 * MIN)]]);

  // A day later: storage1 is gone; storage2's one change, older than the retention, is kept, as it says what it still is.
  history.prune(T + 25 * HOUR);
  const later = history.report({}, { since: T + 24 * HOUR, until: T + 25 * HOUR });
  t.deepEqual(later.containers.map((c) => [c.id, c.availability]), [[storage2.id, 1]]);
});

test('GET /status/history: the last 24 h by default; a since in the future, past the retention or malformed is a 400 problem', async (t) => {
  const now = T + 48 * HOUR;
  const history = new UptimeHistory(':memory:', 7);
  history.observe([{ container: storage1, condition: up }], T);
  const app = await startApp({ history, now: () => now });
  t.teardown(app.close);
  const res = await fetch(`${app.url}/status/history`);
  t.is(res.status, 200);
  t.is(res.headers.get('cache-control'), 'no-store');
  t.like(await json(res), { since: iso(now - 24 * HOUR), until: iso(now), apps: { storage: { availability: 1 } }, containers: [{ id: storage1.id, availability: 1, incidents: [] }] });
  t.like(await json(await fetch(`${app.url}/status/history?since=${iso(T)}&appName=storage`)), { since: iso(T) });

  for (const [query, detail] of [
    [`since=${iso(now + MIN)}`, /^Invalid query: since is in the future/],
    [`since=${iso(now - 8 * 24 * HOUR)}`, /^Invalid query: since is before .*STATUS_HISTORY_DAYS/],
    ['since=yesterday', /^Invalid query: since must be a date and time in ISO 8601/],
    ['appName=Storage', /^Invalid query: appName must be lower-case/],
    ['from=2026-12-01T00:00:00Z', /unknown parameter; allowed: appName, id, since/],
  ] as const) {
    const bad = await fetch(`${app.url}/status/history?${query}`);
    t.is(bad.status, 400, query);
    t.is(bad.headers.get('content-type'), 'application/problem+json', query);
    t.regex((await json(bad)).detail, detail, query);
  }
});
