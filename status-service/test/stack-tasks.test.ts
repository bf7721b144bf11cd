import test from 'ava';
import type { SwarmTask } from '../src/docker-api.ts';
import { reportedTasks } from '../src/stack-tasks.ts';
import { observeTask } from '../src/task-status.ts';
import { NODES, SERVICES, taskContainerId, taskInfo, type TaskInit } from './fixtures.ts';

const statusOf = (init: TaskInit) => observeTask(taskInfo(init), 'demo_storage', 'node-1')?.container;

test('a running task is reported as its container: Docker\'s name for it, its slot, its node, its addresses', (t) => {
  const observed = observeTask(
    taskInfo({ id: 'task1', slot: 2, state: 'running', at: '2026-11-23T10:00:05.123456789Z', addresses: ['10.0.2.7/24', '10.0.1.5/24'] }),
    'demo_storage',
    'worker-1',
  );
  t.is(observed?.fullId, taskContainerId('task1'));
  t.deepEqual(observed?.container, {
    id: taskContainerId('task1').slice(0, 12),
    name: 'demo_storage.2.task1',
    appName: 'storage',
    replica: 2,
    state: 'running',
    health: 'none',
    startedAt: '2026-11-23T10:00:05.123Z',
    finishedAt: null,
    restartCount: 0,
    exitCode: null,
    image: 'assembly/storage-service:latest',
    addresses: ['10.0.1.5', '10.0.2.7'],
    node: 'worker-1',
  });
});

test('health: a running task with a health check has passed it; `starting` is running until it does', (t) => {
  const healthcheck = ['CMD', 'node', 'healthcheck.js'];
  t.like(statusOf({ id: 'task1', state: 'running', healthcheck }), { state: 'running', health: 'healthy' });
  t.like(statusOf({ id: 'task1', state: 'starting', healthcheck, at: '2026-11-23T10:00:01Z' }), {
    state: 'running',
    health: 'starting',
    startedAt: '2026-11-23T10:00:01.000Z',
  });
  t.like(statusOf({ id: 'task1', state: 'running', healthcheck: ['NONE'] }), { health: 'none' }, 'a health check turned off');
  t.like(statusOf({ id: 'task1', state: 'running' }), { health: 'none' });
});

test('a task not started yet is created, without times', (t) => {
  for (const state of ['new', 'pending', 'assigned', 'accepted', 'ready', 'preparing']) {
    t.like(statusOf({ id: 'task1', state }), { state: 'created', health: 'none', startedAt: null, finishedAt: null, exitCode: null }, state);
  }
});

test('an ended task is exited since its last change, with its exit code; Docker leaves out a zero one', (t) => {
  const at = '2026-11-23T10:05:00.5Z';
  t.like(statusOf({ id: 'task1', state: 'failed', exitCode: 137, at, healthcheck: ['CMD', 'true'] }), {
    state: 'exited',
    health: 'none',
    exitCode: 137,
    startedAt: null,
    finishedAt: '2026-11-23T10:05:00.500Z',
  });
  t.like(statusOf({ id: 'task1', state: 'shutdown', exitCode: 143 }), { state: 'exited', exitCode: 143 });
  t.like(statusOf({ id: 'task1', state: 'complete' }), { state: 'exited', exitCode: 0 });
  t.like(statusOf({ id: 'task1', state: 'shutdown' }), { state: 'exited', exitCode: 0 });
  for (const state of ['failed', 'rejected', 'orphaned', 'remove']) {
    t.like(statusOf({ id: 'task1', state }), { state: 'exited', exitCode: null }, `${state}, no exit code said`);
  }
  t.like(statusOf({ id: 'task1', state: 'something-new' }), { state: 'dead', exitCode: null });
});

test("a global service's task has no slot: its name carries its node's id", (t) => {
  t.like(statusOf({ id: 'task1', slot: null, node: NODES.worker }), { replica: null, name: `demo_storage.${NODES.worker}.task1` });
});

test('a task without a container yet is not reported', (t) => {
  t.is(statusOf({ id: 'task1', state: 'pending', hasContainer: false }), undefined);
});

const ids = (tasks: SwarmTask[]) => tasks.map((task) => task.ID).sort();

test('while a start-first update replaces a replica, both of its slot\'s tasks are reported', (t) => {
  const tasks = [
    taskInfo({ id: 'old1', slot: 1, state: 'running', at: '2026-11-23T10:00:00Z' }),
    taskInfo({ id: 'new1', slot: 1, state: 'starting', at: '2026-11-23T10:01:00Z' }),
    taskInfo({ id: 'older1', slot: 1, desired: 'shutdown', state: 'shutdown', at: '2026-11-22T10:00:00Z' }),
    taskInfo({ id: 'task2', slot: 2 }),
  ];
  t.deepEqual(ids(reportedTasks(tasks)), ['new1', 'old1', 'task2']);
});

test('a slot with no task meant to run shows its newest: a killed replica is exited, with its exit code, until its replacement has a container', (t) => {
  const killed = taskInfo({ id: 'killed', desired: 'shutdown', state: 'failed', exitCode: 137, at: '2026-11-23T10:00:00.000000002Z' });
  const earlier = taskInfo({ id: 'earlier', desired: 'shutdown', state: 'shutdown', at: '2026-11-23T09:00:00Z' });
  const replacement = taskInfo({ id: 'replacement', state: 'pending', hasContainer: false, at: '2026-11-23T10:00:00.5Z' });
  t.deepEqual(ids(reportedTasks([killed, earlier, replacement])), ['killed'], 'by time, not by the order Docker lists them in');
  const created = taskInfo({ id: 'replacement', state: 'ready', at: '2026-11-23T10:00:01Z' });
  t.deepEqual(ids(reportedTasks([killed, earlier, created])), ['replacement']);
});

test("a global service's tasks are one per node", (t) => {
  const tasks = [
    taskInfo({ id: 'onManager', slot: null, node: NODES.manager }),
    taskInfo({ id: 'onWorker', slot: null, node: NODES.worker, desired: 'shutdown', state: 'failed', exitCode: 1 }),
    taskInfo({ id: 'onWorkerBefore', slot: null, node: NODES.worker, desired: 'shutdown', state: 'shutdown', at: '2026-11-22T10:00:00Z' }),
  ];
  t.deepEqual(ids(reportedTasks(tasks)), ['onManager', 'onWorker']);
});

test('slots are counted per service, and services whose containers lack the assembly.app label are left out', (t) => {
  const tasks = [
    taskInfo({ id: 'storage1', service: SERVICES.storage, slot: 1 }),
    taskInfo({ id: 'status1', service: SERVICES.status, slot: 1, app: 'status', desired: 'shutdown', state: 'failed', exitCode: 1 }),
    taskInfo({ id: 'unlabelled1', service: SERVICES.other, slot: 1, app: null }),
  ];
  t.deepEqual(ids(reportedTasks(tasks)), ['status1', 'storage1'], "storage's running task in slot 1 does not hide status's ended one");
});
