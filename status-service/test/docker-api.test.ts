import test from 'ava';
import { serve } from 'testkit/serve';
import { dockerodeApi } from '../src/docker-api.ts';
import { nodeInfo, serviceInfo, SERVICES, taskInfo } from './fixtures.ts';

interface Request {
  method: string | undefined;
  path: string;
  filters: unknown;
}

/**
 * A stand-in of a swarm manager's Docker API: it records every request and answers a service list, a
 * task list and a node, a 404 for a service or node it does not know, and an events stream that stays open.
 */
async function swarmManager() {
  const requests: Request[] = [];
  const answers: Record<string, unknown> = {
    '/services': [serviceInfo(SERVICES.storage, 'demo_storage')],
    '/tasks': [taskInfo({ id: 'storage1' })],
    '/nodes/managernode': nodeInfo('managernode', 'manager-1'),
  };
  const served = await serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://engine');
    const filters = JSON.parse(url.searchParams.get('filters') ?? 'null') as { service?: string[] } | null;
    requests.push({ method: req.method, path: url.pathname, filters });
    res.setHeader('Content-Type', 'application/json');
    if (url.pathname === '/events') {
      res.flushHeaders();
      return;
    }
    const answer = filters?.service?.includes('gone') ? undefined : answers[url.pathname];
    res.statusCode = answer === undefined ? 404 : 200;
    res.end(JSON.stringify(answer ?? { message: 'not found' }));
  });
  return { ...served, requests, port: Number(new URL(served.url).port) };
}

test('the swarm calls are GET /services, /tasks and /nodes/{id}, filtered, and /events for containers and services; a 404 is null', async (t) => {
  const manager = await swarmManager();
  t.teardown(manager.close);
  const api = dockerodeApi({ host: '127.0.0.1', port: manager.port });
  const signal = AbortSignal.timeout(5_000);

  t.deepEqual(await api.listServices(['com.docker.stack.namespace=demo'], signal), [serviceInfo(SERVICES.storage, 'demo_storage')]);
  t.deepEqual(await api.listTasks([SERVICES.storage, SERVICES.status], signal), [taskInfo({ id: 'storage1' })]);
  t.is(await api.listTasks([SERVICES.storage, 'gone'], signal), null, 'a service removed meanwhile');
  t.deepEqual(await api.inspectNode('managernode', signal), nodeInfo('managernode', 'manager-1'));
  t.is(await api.inspectNode('gonenode', signal), null);
  const events = new AbortController();
  t.teardown(() => events.abort());
  await api.swarmEvents(['die', 'update'], events.signal);

  t.deepEqual(manager.requests, [
    { method: 'GET', path: '/services', filters: { label: ['com.docker.stack.namespace=demo'] } },
    { method: 'GET', path: '/tasks', filters: { service: [SERVICES.storage, SERVICES.status] } },
    { method: 'GET', path: '/tasks', filters: { service: [SERVICES.storage, 'gone'] } },
    { method: 'GET', path: '/nodes/managernode', filters: null },
    { method: 'GET', path: '/nodes/gonenode', filters: null },
    { method: 'GET', path: '/events', filters: { type: ['container', 'service'], event: ['die', 'update'] } },
  ]);
});

test('a swarm call is cut off by its signal', async (t) => {
  const manager = await swarmManager();
  t.teardown(manager.close);
  const api = dockerodeApi({ host: '127.0.0.1', port: manager.port });
  await t.throwsAsync(api.listTasks([SERVICES.storage], AbortSignal.abort()));
  await t.throwsAsync(api.inspectNode('managernode', AbortSignal.abort()));
  await t.throwsAsync(api.listServices([], AbortSignal.abort()));
});
