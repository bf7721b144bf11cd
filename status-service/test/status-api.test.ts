import test from 'ava';
import { plainRequest } from 'testkit/http';
import { observe } from '../src/docker-watcher.ts';
import { observeTask } from '../src/task-status.ts';
import { IDS, inspectInfo, taskInfo, type InspectInit } from './fixtures.ts';
import { within } from 'testkit/poll';
import { serveJson, startApp, type RunningApp } from './helpers.ts';

const ASSEMBLY: InspectInit[] = [
  { id: IDS.storage1, number: 1, health: 'healthy', address: '172.20.0.3' },
  { id: IDS.storage2, number: 2, health: 'unhealthy', address: '172.20.0.4' },
  { id: IDS.status, app: 'status', number: 1, address: '172.20.0.5' },
];

async function withAssembly(options: Parameters<typeof startApp>[0] = {}): Promise<RunningApp> {
  const app = await startApp(options);
  app.view.replaceAll(ASSEMBLY.map((init) => observe(inspectInfo(init))));
  return app;
}

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> };
}

test('/status lists every container with app counts, from the view', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const { status, headers, body } = await getJson(`${app.url}/status`);
  t.is(status, 200);
  t.is(headers.get('cache-control'), 'no-store');
  t.truthy(headers.get('x-request-id'));
  t.deepEqual(body.apps, { status: { total: 1, running: 1, healthy: 1 }, storage: { total: 2, running: 2, healthy: 1 } });
  t.deepEqual(body.containers.map((c: any) => [c.appName, c.replica, c.health]), [
    ['status', 1, 'none'],
    ['storage', 1, 'healthy'],
    ['storage', 2, 'unhealthy'],
  ]);
  t.like(body.docker, { reachable: true, endpoint: 'unix:///var/run/docker.sock', error: null });
  t.deepEqual(body.gateway, { reachable: false, url: null });
  t.true(body.containers.every((c: any) => c.gateway === null), 'no gateway API configured: gateway is null');
  t.true(body.containers.every((c: any) => c.node === null), 'outside swarm mode: node is null');
  t.false(Number.isNaN(Date.parse(body.observedAt)));
});

test("in swarm mode /status lists the tasks, each with its node and slot, counts the running ones per app, and matches the gateway's servers by task address", async (t) => {
  // Traefik's Swarm provider routes to each running task's address on the network it shares with it.
  const traefik = await serveJson(() => [
    { name: 'storage@swarm', serverStatus: { 'http://10.0.1.5:3000': 'UP', 'http://10.0.1.6:3000': 'DOWN' } },
  ]);
  t.teardown(traefik.close);
  const app = await startApp({ traefikApiUrl: traefik.url });
  t.teardown(app.close);
  const healthcheck = ['CMD', 'node', 'healthcheck.js'];
  app.view.replaceAll([
    observeTask(taskInfo({ id: 'storage1', slot: 1, healthcheck, addresses: ['10.0.9.5/24', '10.0.1.5/24'] }), 'demo_storage', 'manager-1')!,
    observeTask(taskInfo({ id: 'storage2', slot: 2, healthcheck, state: 'starting', addresses: ['10.0.1.6/24'] }), 'demo_storage', 'worker-1')!,
    observeTask(taskInfo({ id: 'storage3', slot: 3, healthcheck, desired: 'shutdown', state: 'failed', exitCode: 137 }), 'demo_storage', 'worker-1')!,
  ]);
  const { value: body } = await within('the gateway view in /status', 5_000, async () => {
    const { body } = await getJson(`${app.url}/status`);
    return body.gateway.reachable ? body : undefined;
  });
  t.deepEqual(body.apps, { storage: { total: 3, running: 2, healthy: 1 } });
  t.deepEqual(body.containers.map((c: any) => [c.replica, c.node, c.state, c.health, c.exitCode, c.gateway.status]), [
    [1, 'manager-1', 'running', 'healthy', null, 'UP'],
    [2, 'worker-1', 'running', 'starting', null, 'DOWN'],
    [3, 'worker-1', 'exited', 'none', 137, 'NOT_ROUTED'],
  ]);
});

test('/status?appName= narrows to one app; an unknown app is an empty list', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const storage = await getJson(`${app.url}/status?appName=storage`);
  t.deepEqual(Object.keys(storage.body.apps), ['storage']);
  t.is(storage.body.containers.length, 2);
  const none = await getJson(`${app.url}/status?appName=nothing-here`);
  t.is(none.status, 200);
  t.deepEqual(none.body.containers, []);
});

test('/status?appName=&id= answers one container by any unique prefix of its id', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const { status, body } = await getJson(`${app.url}/status?appName=storage&id=a2a2`);
  t.is(status, 200);
  t.like(body.container, { id: IDS.storage2.slice(0, 12), replica: 2 });
  t.truthy(body.docker);
  const byFullId = await getJson(`${app.url}/status?id=${IDS.status}`);
  t.is(byFullId.body.container.appName, 'status');
});

test('an id prefix that matches several containers is a 400 naming them; one that matches none is a 404', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const ambiguous = await getJson(`${app.url}/status?appName=storage&id=a`);
  t.is(ambiguous.status, 400);
  t.is(ambiguous.headers.get('content-type'), 'application/problem+json');
  t.is(ambiguous.body.type, 'urn:assembly:problem:ambiguous-container-id');
  t.is(ambiguous.body.candidates.length, 2);
  const missing = await getJson(`${app.url}/status?appName=status&id=a1`);
  t.is(missing.status, 404);
  t.like(missing.body, { type: 'urn:assembly:problem:container-not-found', status: 404, instance: '/status?appName=status&id=a1' });
});

test('malformed query values are 400 problem+json listing each issue, never 500', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  for (const query of ['appName=Storage!', 'id=xyz', `id=${'a'.repeat(65)}`, 'appName=a&appName=b', 'app=storage', 'appName=']) {
    const { status, headers, body } = await getJson(`${app.url}/status?${query}`);
    t.is(status, 400, query);
    t.is(headers.get('content-type'), 'application/problem+json', query);
    t.like(body, { type: 'urn:assembly:problem:invalid-request', title: 'Bad Request', status: 400 }, query);
    t.true(body.errors.length > 0, query);
    t.false(JSON.stringify(body).includes('    at '), 'no stack trace');
  }
});

test('Docker unreachable: /status is a 503 with the reason, the last known view and its age', async (t) => {
  const now = Date.parse('2026-11-23T10:00:00Z');
  const app = await withAssembly({ now: () => now });
  t.teardown(app.close);
  app.view.markUnreachable('no Docker socket at /var/run/docker.sock', new Date(now - 4_400));
  const { status, headers, body } = await getJson(`${app.url}/status?appName=storage`);
  t.is(status, 503);
  t.is(headers.get('retry-after'), '2');
  t.like(body, { type: 'urn:assembly:problem:docker-unreachable', title: 'Docker Engine unreachable', lastKnownAgeSeconds: 4 });
  t.regex(body.detail, /cannot be reached: no Docker socket at \/var\/run\/docker\.sock/);
  t.is(body.lastKnown.containers.length, 2);
  t.false(body.lastKnown.docker.reachable);
});

test('Docker never reached since start: 503 with no last known view', async (t) => {
  const app = await startApp();
  t.teardown(app.close);
  app.view.markUnreachable('permission denied on /var/run/docker.sock');
  const { status, body } = await getJson(`${app.url}/status`);
  t.is(status, 503);
  t.is(body.lastKnown, null);
  t.regex(body.detail, /not been reachable since this service started/);
});

test('/unavailable/:app is always a 503 problem with the app counts and where to look', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const { status, headers, body } = await getJson(`${app.url}/unavailable/storage`);
  t.is(status, 503);
  t.is(headers.get('content-type'), 'application/problem+json');
  t.is(headers.get('retry-after'), '5');
  t.like(body, { type: 'urn:assembly:problem:no-replica-available', appName: 'storage', known: 2, running: 2, healthy: 1, statusUrl: '/statussvc/status' });
  t.regex(body.detail, /No storage replica can answer right now: 2 known, 2 running, 1 healthy/);
  const posted = await fetch(`${app.url}/unavailable/storage`, { method: 'POST' });
  t.is(posted.status, 503, 'whatever method the gateway forwards');
  t.is((await fetch(`${app.url}/unavailable/NOPE!`)).status, 400);
  const rewritten = await getJson(`${app.url}/unavailable/storage`, { 'X-Replaced-Path': '/storagesvc/data/products/p-1' });
  t.is(rewritten.body.instance, '/storagesvc/data/products/p-1', 'the path the client asked for, kept by the gateway');
});

test("/gateway/:status: the gateway's own answers as problem+json — 404 naming the path asked, 401 with its challenge, 429 with Retry-After", async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const missing = await fetch(`${app.url}/gateway/404`, { method: 'POST', headers: { 'X-Replaced-Path': '/status' } });
  t.is(missing.status, 404);
  t.is(missing.headers.get('content-type'), 'application/problem+json');
  t.like(await missing.json(), {
    type: 'urn:assembly:problem:route-not-found',
    instance: '/status',
    detail: 'No route of the gateway answers POST /status. It serves /storagesvc/…, /statussvc/… and the status page at /.',
  });
  const login = await getJson(`${app.url}/gateway/401?url=${encodeURIComponent('http://127.0.0.1:8081/dashboard/?x=1')}`);
  t.is(login.status, 401);
  t.is(login.body.instance, '/dashboard/?x=1', "the path the client asked for, from the gateway's errors middleware");
  t.is(login.headers.get('www-authenticate'), 'Basic realm="traefik-dashboard"');
  t.like(login.body, { type: 'urn:assembly:problem:unauthorized', status: 401 });
  const limited = await getJson(`${app.url}/gateway/429`);
  t.is(limited.status, 429);
  t.is(limited.headers.get('retry-after'), '1');
  t.like(limited.body, { type: 'urn:assembly:problem:too-many-requests', status: 429 });
  t.like((await getJson(`${app.url}/gateway/500`)).body, { status: 400, type: 'urn:assembly:problem:invalid-request', detail: 'Invalid path: status must be 401, 404 or 429.' });
});

test('/healthz is 200 while serving, degraded while Docker is unreachable; /health answers the same', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  t.like((await getJson(`${app.url}/healthz`)).body, { status: 'ok', docker: { reachable: true, error: null } });
  app.view.markUnreachable('the Docker event stream ended');
  const degraded = await getJson(`${app.url}/health`);
  t.is(degraded.status, 200);
  t.like(degraded.body, { status: 'degraded', docker: { reachable: false, error: 'the Docker event stream ended' } });
});

test('/healthz tells the uptime in whole seconds, from the clock the app is given', async (t) => {
  let clock = Date.parse('2026-11-23T10:00:00Z');
  const app = await withAssembly({ now: () => clock });
  t.teardown(app.close);
  t.like((await getJson(`${app.url}/healthz`)).body, { uptimeSeconds: 0 });
  clock += 61_999;
  t.like((await getJson(`${app.url}/healthz`)).body, { uptimeSeconds: 61 });
});

test("the gateway's view of each container comes from Traefik's API, matched by address", async (t) => {
  const traefik = await serveJson(() => [
    {
      name: 'storage@docker',
      serverStatus: { 'http://172.20.0.3:3000': 'UP', 'http://172.20.0.4:3000': 'DOWN' },
      loadBalancer: { servers: [{ url: 'http://172.20.0.3:3000' }, { url: 'http://172.20.0.4:3000' }] },
    },
    { name: 'status-pages@file', loadBalancer: { servers: [{ url: 'http://status:3000' }] } },
  ]);
  t.teardown(traefik.close);
  const app = await withAssembly({ traefikApiUrl: traefik.url });
  t.teardown(app.close);
  const { value: body } = await within('the gateway view in /status', 5_000, async () => {
    const { body } = await getJson(`${app.url}/status`);
    return body.gateway.reachable ? body : undefined;
  });
  t.deepEqual(
    body.containers.map((c: any) => [c.appName, c.replica, c.gateway]),
    [
      ['status', 1, { status: 'NOT_ROUTED', service: null, url: null }],
      ['storage', 1, { status: 'UP', service: 'storage@docker', url: 'http://172.20.0.3:3000' }],
      ['storage', 2, { status: 'DOWN', service: 'storage@docker', url: 'http://172.20.0.4:3000' }],
    ],
  );
  t.deepEqual(body.gateway, { reachable: true, url: traefik.url });
});

test("an unreachable gateway API makes every gateway view null and nothing else fails", async (t) => {
  const traefik = await serveJson(() => []);
  await traefik.close();
  const app = await withAssembly({ traefikApiUrl: traefik.url });
  t.teardown(app.close);
  await within(`app.lines.some((line) => String(line.msg).startsWith('gateway API unreachable'`, 5_000, () => app.lines.some((line) => String(line.msg).startsWith('gateway API unreachable')));
  const { status, body } = await getJson(`${app.url}/status`);
  t.is(status, 200);
  t.true(body.containers.every((c: any) => c.gateway === null));
  t.false(body.gateway.reachable);
});

test('unknown routes and methods are problem+json', async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const missing = await getJson(`${app.url}/nope`);
  t.like(missing.body, { status: 404, type: 'urn:assembly:problem:route-not-found' });
  const response = await fetch(`${app.url}/status`, { method: 'DELETE' });
  t.is(response.status, 405);
  t.is(response.headers.get('content-type'), 'application/problem+json');
});

for (const method of ['TRACE', 'PURGE']) {
  test(`${method}, a method no route implements, is a 405 problem with Allow on an existing path; 404 elsewhere`, async (t) => {
    const app = await withAssembly();
    t.teardown(app.close);
    const existing = await plainRequest(`${app.url}/status`, { method });
    t.is(existing.status, 405);
    t.is(existing.headers.allow, 'HEAD, GET');
    t.is(existing.headers['content-type'], 'application/problem+json');
    t.like(JSON.parse(existing.body), { type: 'urn:assembly:problem:method-not-allowed', status: 405 });
    const unknown = await plainRequest(`${app.url}/nope`, { method });
    t.is(unknown.status, 404);
    t.like(JSON.parse(unknown.body), { type: 'urn:assembly:problem:route-not-found' });
  });
}

test('OpenAPI and Swagger UI exist in development only', async (t) => {
  const dev = await withAssembly({ appEnv: 'development' });
  const prod = await withAssembly({ appEnv: 'production' });
  t.teardown(dev.close);
  t.teardown(prod.close);
  const openapi = await getJson(`${dev.url}/openapi.json`);
  t.is(openapi.status, 200);
  t.is(openapi.body.openapi, '3.1.0');
  t.truthy(openapi.body.paths['/status'].get.parameters.find((p: any) => p.name === 'appName'));
  t.like(openapi.body.components.schemas.ContainerStatus.properties.node, { type: ['string', 'null'] });
  t.regex(openapi.body.components.schemas.ContainerStatus.properties.node.description, /^Swarm mode: the hostname of the node/);
  t.is((await fetch(`${dev.url}/swagger`)).status, 200);
  t.is((await fetch(`${prod.url}/openapi.json`)).status, 404);
  t.is((await fetch(`${prod.url}/swagger`)).status, 404);
});

test("behind the gateway a problem's instance is the URL the client asked for", async (t) => {
  const app = await withAssembly();
  t.teardown(app.close);
  const response = await fetch(`${app.url}/status?id=zz`, { headers: { 'X-Forwarded-Prefix': '/statussvc' } });
  t.is(((await response.json()) as { instance: string }).instance, '/statussvc/status?id=zz');
});
