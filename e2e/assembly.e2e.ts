import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { docker, fetchInside, Stack } from 'testkit/compose-stack';
import { within } from 'testkit/poll';
import { assertPercentileWithin, runScheduledLoad, describeScheduledLoad, type ScheduledLoadResult, type Outcome } from 'testkit/scheduled-load';
import { Assembly, DEV_USER, replicaId, sameContainer, scenarioReport, setFaults, type Answer, type StatusView } from './helpers/assembly.ts';
import { ms } from './helpers/report.ts';

// The whole assembly, brought up once with .env.dev settings and 3 storage replicas, broken on purpose
// scenario by scenario through the gateway on 127.0.0.1. Each scenario leaves the stack as it found it.

const RESPONSE_HEADER_TIMEOUT_MS = 1000; // traefik/dynamic/storage.yml, storage-transport
const LOAD = { rate: 100, timeoutMs: 5000 } as const;

let assembly: Assembly;
let stack: Stack;

test.before(async (t) => {
  assembly = await Assembly.start(t);
  stack = assembly.stack;
});

test.after.always(async (t) => {
  await assembly?.stop(t);
});

const get: Assembly['get'] = (...args) => assembly.get(...args);
const statusView: Assembly['statusView'] = (...args) => assembly.statusView(...args);
const viewComplete: Assembly['viewComplete'] = () => assembly.viewComplete();
const allInRotation: Assembly['allInRotation'] = () => assembly.allInRotation();
const assemblyReady: Assembly['ready'] = (deadlineMs) => assembly.ready(deadlineMs);

const isProblem503 = (o: Outcome) =>
  o.status === 503 && (o.contentType ?? '').startsWith('application/problem+json');

test.serial('1. storage data and the status view through the gateway', async (t) => {
  const list = await get('/storagesvc/data');
  t.is(list.status, 200);
  t.regex(list.type, /^application\/json/);
  const { partitions } = JSON.parse(list.text) as { partitions: string[] };
  t.true(partitions.includes('products'));

  const partition = await get('/storagesvc/data/products');
  t.is(partition.status, 200);
  const { ids } = JSON.parse(partition.text) as { ids: string[] };
  t.true(ids.includes('p-1001'));

  const item = await get('/storagesvc/data/products/p-1001');
  t.is(item.status, 200);
  t.is((JSON.parse(item.text) as { id: string }).id, 'p-1001');
  t.truthy(item.headers.get('x-replica-id'));
  t.truthy(item.headers.get('x-request-id'));
  // The gateway's security headers.
  t.is(item.headers.get('x-content-type-options'), 'nosniff');
  t.is(item.headers.get('x-frame-options'), 'DENY');
  t.truthy(item.headers.get('content-security-policy'));
  // The request's line in the gateway's access log names the request id and the replica that answered.
  const [gateway] = await stack.containers('gateway');
  const requestId = item.headers.get('x-request-id');
  const accessLine = await within('the read in the gateway access log', 5000, async () =>
    (await docker('logs', gateway!.id))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line['downstream_X-Request-Id'] === requestId),
  );
  t.like(accessLine.value, { RequestPath: '/storagesvc/data/products/p-1001', DownstreamStatus: 200, 'downstream_X-Replica-Id': item.headers.get('x-replica-id') });

  const missing = await get('/storagesvc/data/products/no-such-item');
  t.is(missing.status, 404);
  t.regex(missing.type, /^application\/problem\+json/);
  t.is((JSON.parse(missing.text) as { status: number }).status, 404);

  const root = await get('/');
  t.is(root.status, 302);
  t.regex(root.headers.get('location') ?? '', /\/statussvc\/$/);

  const view = await statusView();
  t.is(view.apps.storage?.total, 3);
  t.is(view.apps.storage?.healthy, 3);
  const apps = view.containers.map((c) => c.appName).sort();
  t.deepEqual(apps, ['docker-api', 'gateway', 'status', 'storage', 'storage', 'storage']);
  t.true(view.containers.filter((c) => c.appName === 'storage').every((c) => c.gateway?.status === 'UP'));
});

test.serial('2. round robin: 60 requests reach all 3 replicas, none more than half', async (t) => {
  const counts: Record<string, number> = {};
  for (let i = 0; i < 60; i++) {
    const response = await get('/storagesvc/data');
    t.is(response.status, 200);
    const replica = response.headers.get('x-replica-id') ?? '?';
    counts[replica] = (counts[replica] ?? 0) + 1;
  }
  t.log(`replies per replica: ${JSON.stringify(counts)}`);
  const replicas = (await stack.storageReplicas()).map(replicaId).sort();
  t.deepEqual(Object.keys(counts).sort(), replicas);
  for (const [replica, count] of Object.entries(counts)) t.true(count <= 30, `${replica} answered ${count} of 60`);
});

/** The gateway's sockets to the replicas' port (3000) in TIME_WAIT: connections it opened and closed again. */
async function gatewayClosedReplicaConnections(): Promise<number> {
  const [gateway] = await stack.containers('gateway');
  if (!gateway) throw new Error('no gateway container');
  const table = await docker('exec', gateway.id, 'cat', '/proc/net/tcp', '/proc/net/tcp6');
  return table.split('\n').filter((line) => {
    const [, , remote = '', state = ''] = line.trim().split(/\s+/);
    return remote.endsWith(':0BB8') && state === '06';
  }).length;
}

test.serial('2b. the gateway keeps its connections to the replicas alive under concurrent load', async (t) => {
  // 500 requests fit in the rate limit's burst of .env.dev (600) once its bucket has refilled (300/s).
  await sleep(2500);
  // Traefik's health checks open a connection per check (one per replica per second): the margin below.
  const before = await gatewayClosedReplicaConnections();
  const started = performance.now();
  const clients = 50;
  const perClient = 10;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = 0; i < perClient; i++) t.is((await get('/storagesvc/data')).status, 200);
    }),
  );
  const closed = (await gatewayClosedReplicaConnections()) - before;
  t.log(`${clients * perClient} requests over ${clients} clients in ${ms(performance.now() - started)}: the gateway closed ${closed} connections to replicas`);
  // With Go's default of 2 idle connections per replica this closed 277 (sustained, the ports ran out); with 200, none.
  t.true(closed < 50, `the gateway closed ${closed} connections to replicas for ${clients * perClient} requests`);
});

test.serial('3. dashboard and API on the public entrypoint need the dev login', async (t) => {
  const authorization = `Basic ${Buffer.from(DEV_USER).toString('base64')}`;
  t.is((await get('/api/overview')).status, 401);
  t.is((await get('/api/overview', { headers: { authorization: 'Basic ZGV2Ondyb25n' } })).status, 401);
  const overview = await get('/api/overview', { headers: { authorization } });
  t.is(overview.status, 200);
  t.truthy((JSON.parse(overview.text) as { http?: unknown }).http);
  t.is((await get('/dashboard/')).status, 401);
  // Traefik's own 401, as problem+json, with the challenge a browser needs to ask for the login.
  const refused = await get('/dashboard/');
  t.regex(refused.type, /^application\/problem\+json/);
  t.is(refused.headers.get('www-authenticate'), 'Basic realm="traefik-dashboard"');
  t.like(JSON.parse(refused.text), { type: 'urn:assembly:problem:unauthorized', status: 401 });
});

test.serial('3a. no metrics through the gateway: /metrics, /storagesvc/metrics and /statussvc/metrics are 404 problems', async (t) => {
  for (const path of ['/metrics', '/storagesvc/metrics', '/statussvc/metrics']) {
    const answer = await get(path);
    t.is(answer.status, 404, path);
    t.regex(answer.type, /^application\/problem\+json/, path);
    t.false(answer.text.includes('http_server_request_duration_seconds'), path);
  }
});

test.serial("3b. the gateway's own answers are problem+json: unknown paths, internal pages, the rate limit", async (t) => {
  for (const path of ['/status', '/healthz', '/%00', '/statussvc/unavailable/storage', '/statussvc/gateway/404']) {
    const answer = await get(path);
    t.is(answer.status, 404, path);
    t.regex(answer.type, /^application\/problem\+json/, path);
    t.like(JSON.parse(answer.text), { type: 'urn:assembly:problem:route-not-found', instance: path }, path);
  }
  t.regex(JSON.parse((await get('/status')).text).detail, /^No route of the gateway answers GET \/status\./);
  // Beyond the burst (GATEWAY_RATE_BURST 600, 300/s on average, in .env.dev): at most 2,000 requests, 200 at a time.
  const statuses: number[] = [];
  let limited: Answer | undefined;
  for (let sent = 0; sent < 2_000 && !limited; sent += 200) {
    const batch = await Promise.all(Array.from({ length: 200 }, () => get('/statussvc/healthz')));
    statuses.push(...batch.map((answer) => answer.status));
    limited = batch.find((answer) => answer.status === 429);
  }
  t.truthy(limited, `a 429 within 2,000 requests: ${JSON.stringify(statuses.filter((status) => status !== 200).slice(0, 5))}`);
  t.regex(limited!.type, /^application\/problem\+json/);
  t.is(limited!.headers.get('retry-after'), '1');
  t.like(JSON.parse(limited!.text), { type: 'urn:assembly:problem:too-many-requests', status: 429 });
  await within('the rate limit lets requests through again', 5_000, async () => (await get('/statussvc/healthz')).status === 200);
});

test.serial('4. Swagger UI: served under .env.dev (its "Try it out" through the gateway), absent with production settings', async (t) => {
  for (const prefix of ['/storagesvc', '/statussvc']) {
    t.is((await get(`${prefix}/swagger`)).status, 200);
    const document = JSON.parse((await get(`${prefix}/openapi.json`)).text) as { servers: unknown; paths: Record<string, unknown> };
    t.deepEqual(document.servers, [{ url: prefix }]);
    // An operation tried from the page: the server, then the document's path.
    const tried = prefix === '/storagesvc' ? '/data' : '/status';
    t.truthy(document.paths[tried]);
    t.is((await get(`${prefix}${tried}`)).status, 200, `${prefix}${tried}`);
  }

  // Production settings: the services' own images, run directly (no network), as in .env.
  const images = await Promise.all(
    ['storage', 'status'].map(async (app) => {
      const [container] = await stack.containers(app);
      if (!container) throw new Error(`no ${app} container`);
      return { app, image: await docker('inspect', '-f', '{{.Image}}', container.id) };
    }),
  );
  const started: string[] = [];
  try {
    for (const { app, image } of images) {
      const id = await docker(
        'run', '-d', '--rm', '--network', 'none', '--label', stack.runLabel,
        '-e', 'APP_ENV=production', '-e', 'FAULTS_ENABLED=false', '-e', 'LOG_LEVEL=warn',
        '-e', 'TRAEFIK_API_URL=http://127.0.0.1:9',
        image,
      );
      started.push(id);
      await within(`${app} (production) answers /healthz`, 20_000, async () => {
        const health = await fetchInside(id, 'http://127.0.0.1:3000/healthz');
        return health.status > 0 ? health : undefined;
      }, { intervalMs: 200 });
      const swagger = await fetchInside(id, 'http://127.0.0.1:3000/swagger');
      t.is(swagger.status, 404, `${app} /swagger with APP_ENV=production`);
      const openapi = await fetchInside(id, 'http://127.0.0.1:3000/openapi.json');
      t.is(openapi.status, 404, `${app} /openapi.json with APP_ENV=production`);
    }
  } finally {
    if (started.length) await docker('rm', '-f', ...started).catch(() => undefined);
  }
});

test.serial('5. a replica killed under 100 req/s: no failed request, seen down at once', async (t) => {
  const [victim] = await stack.storageReplicas();
  if (!victim) throw new Error('no replica');
  const load = runScheduledLoad({ url: stack.url('/storagesvc/data'), rate: LOAD.rate, durationMs: 10_000, timeoutMs: LOAD.timeoutMs });
  await sleep(3000);
  const killedAt = performance.now();
  await docker('kill', victim.id);

  const notRunning = await within('/statussvc/status shows the killed replica not running', 1000, async () => {
    const view = await statusView('?appName=storage');
    const seen = view.containers.find((c) => sameContainer(c, victim));
    return seen && seen.state !== 'running' ? seen : undefined;
  }, { since: killedAt, intervalMs: 50 });
  const gatewayDown = await within('the gateway view no longer has the killed replica UP', 3000, async () => {
    const view = await statusView('?appName=storage');
    const seen = view.containers.find((c) => sameContainer(c, victim));
    return seen && seen.gateway?.status !== 'UP' ? seen : undefined;
  }, { since: killedAt, intervalMs: 50 });
  const result = await load;

  // Back to 3 replicas: restart policy unless-stopped does not restart a killed container (docker kill
  // counts as stopped by hand), so start it, as an operator would.
  const state = await docker('inspect', '-f', '{{.State.Running}}', victim.id);
  const restartAt = performance.now();
  if (state !== 'true') await docker('start', victim.id);
  await assemblyReady(30_000);

  const lines = scenarioReport('5. kill one replica during 100 req/s for 10 s', {
    load: describeScheduledLoad(result),
    'time to detect (status: not running)': `${ms(notRunning.elapsedMs)} (state ${notRunning.value.state})`,
    'time to detect (gateway view)': `${ms(gatewayDown.elapsedMs)} (gateway ${JSON.stringify(gatewayDown.value.gateway)})`,
    'time to recover (docker start → all 3 in rotation, status complete)': ms(performance.now() - restartAt),
    'restarted by Docker itself': state === 'true' ? 'yes' : 'no',
  });
  t.log(lines);
  t.is(result.failed, 0, describeScheduledLoad(result));
});

test.serial('6. a slow replica: requests succeed via the others, p99 under the timeout + 100 ms', async (t) => {
  const [, victim] = await stack.storageReplicas();
  if (!victim) throw new Error('no replica');
  const [slow] = await setFaults([victim], { delayMs: RESPONSE_HEADER_TIMEOUT_MS + 2000 });
  t.is(slow?.status, 200, slow?.body);
  let result: ScheduledLoadResult;
  try {
    result = await runScheduledLoad({ url: stack.url('/storagesvc/data'), rate: LOAD.rate, durationMs: 10_000, timeoutMs: LOAD.timeoutMs });
  } finally {
    await setFaults([victim]);
  }
  const lines = scenarioReport(`6. one replica delays every answer by ${RESPONSE_HEADER_TIMEOUT_MS + 2000} ms, 100 req/s for 10 s`, {
    load: describeScheduledLoad(result),
    'answered by the slow replica': String(result.byReplica[replicaId(victim)] ?? 0),
    'p99 budget': ms(RESPONSE_HEADER_TIMEOUT_MS + 100),
  });
  t.log(lines);
  t.is(result.failed, 0, describeScheduledLoad(result));
  t.is(result.byReplica[replicaId(victim)] ?? 0, 0, 'the slow replica answered no request (all abandoned at the timeout)');
  t.notThrows(() => assertPercentileWithin(result, 99, RESPONSE_HEADER_TIMEOUT_MS + 100));
});

test.serial('6b. overload: beyond GATEWAY_MAX_IN_FLIGHT reads at the replicas, the gateway refuses at once with a 429 problem and Retry-After', async (t) => {
  const MAX_IN_FLIGHT = 100; // .env.dev
  const DELAY_MS = 800; // below the response-header timeout: the reads in flight are slow, not failed
  const replicas = await stack.storageReplicas();
  await setFaults(replicas, { delayMs: DELAY_MS });
  let answers: Array<Answer & { ms: number }>;
  try {
    answers = await Promise.all(
      Array.from({ length: MAX_IN_FLIGHT + 50 }, async () => {
        const started = performance.now();
        const answer = await get('/storagesvc/data');
        return { ...answer, ms: performance.now() - started };
      }),
    );
  } finally {
    await setFaults(replicas);
  }
  const refused = answers.filter((a) => a.status === 429);
  const served = answers.filter((a) => a.status === 200);
  t.log(`${served.length} served (slowest ${ms(Math.max(...served.map((a) => a.ms)))}), ${refused.length} refused (slowest ${ms(Math.max(...refused.map((a) => a.ms)))})`);
  t.is(served.length + refused.length, answers.length, JSON.stringify(answers.map((a) => a.status)));
  t.true(refused.length >= 50, `${refused.length} refused`);
  t.true(served.length >= 1);
  for (const answer of refused) {
    t.regex(answer.type, /^application\/problem\+json/);
    t.is(answer.headers.get('retry-after'), '1');
    t.like(JSON.parse(answer.text), { type: 'urn:assembly:problem:too-many-requests', status: 429 });
  }
  // Refused at once, not after waiting behind the slow reads.
  t.true(Math.max(...refused.map((a) => a.ms)) < DELAY_MS, 'every refusal came before the first slow read could finish');
  t.is((await get('/storagesvc/data')).status, 200);
});

test.serial('7. every replica stopped: 503 problem+json, then back in rotation after a start', async (t) => {
  const replicas = await stack.storageReplicas();
  const ids = replicas.map((c) => c.id);
  // Background probe at 20 req/s for the whole scenario: every answer is 200 or a 503 problem+json.
  const probe = runScheduledLoad({
    url: stack.url('/storagesvc/data'), rate: 20, durationMs: 12_000, timeoutMs: LOAD.timeoutMs,
    ok: (o) => o.status === 200 || isProblem503(o),
  });
  await sleep(1000);
  const stopCalled = performance.now();
  await docker('stop', '--time', '5', ...ids);
  const stoppedAt = performance.now();

  const unavailable = await within('/storagesvc/data answers 503 problem+json with Retry-After', 2000, async () => {
    const response = await get('/storagesvc/data');
    return response.status === 503 && response.type.startsWith('application/problem+json') && response.headers.get('retry-after')
      ? response
      : undefined;
  }, { since: stoppedAt });
  const noneRunning = await within('/statussvc/status says 0 storage replicas running', 2000, async () => {
    const view = await statusView('?appName=storage');
    return view.apps.storage?.running === 0 ? view : undefined;
  }, { since: stoppedAt });

  await docker('start', ...ids);
  const startedAt = performance.now();
  const back = await within('/storagesvc/data answers 200 again', 5000, async () => {
    const response = await get('/storagesvc/data');
    return response.status === 200 ? response : undefined;
  }, { since: startedAt, intervalMs: 50 });
  const rotation = await within('all 3 replicas back in rotation', 15_000, allInRotation, { since: startedAt, intervalMs: 100 });
  const result = await probe;
  await assemblyReady(30_000);

  const body = JSON.parse(unavailable.value.text) as { status?: number; detail?: string };
  const lines = scenarioReport('7. stop every replica, then start them', {
    'docker stop took': ms(stoppedAt - stopCalled),
    'time to detect (stopped → 503 problem+json)': `${ms(unavailable.elapsedMs)} (Retry-After ${unavailable.value.headers.get('retry-after')}; ${body.detail ?? ''})`,
    'status service: 0 running after': ms(noneRunning.elapsedMs),
    'time to recover (docker start → first 200)': ms(back.elapsedMs),
    'all 3 back in rotation after': ms(rotation.elapsedMs),
    'probe at 20 req/s (failure = neither 200 nor 503 problem+json)': describeScheduledLoad(result),
    '503 problem+json answers during the outage': String(result.outcomes.filter(isProblem503).length),
  });
  t.log(lines);
  t.is(body.status, 503);
  t.is(result.failed, 0, describeScheduledLoad(result));
});

test.serial('7b. every replica unhealthy (fault injection): 503 problem+json, then 200 once healthy', async (t) => {
  const replicas = await stack.storageReplicas();
  const faultedAt = performance.now();
  await setFaults(replicas, { unhealthy: true });
  // Traefik's active health check (1 s interval, 500 ms timeout) takes each replica out.
  const unavailable = await within('/storagesvc/data answers 503 problem+json with Retry-After', 3000, async () => {
    const response = await get('/storagesvc/data');
    return response.status === 503 && response.type.startsWith('application/problem+json') && response.headers.get('retry-after')
      ? response
      : undefined;
  }, { since: faultedAt }).finally(() => setFaults(replicas));
  const healedAt = performance.now();
  const back = await within('/storagesvc/data answers 200 again', 3000, async () => {
    const response = await get('/storagesvc/data');
    return response.status === 200 ? response : undefined;
  }, { since: healedAt });
  await assemblyReady(30_000);
  t.log(scenarioReport('7b. every replica reports unhealthy, then healthy again', {
    'time to detect (faults set → 503 problem+json)': ms(unavailable.elapsedMs),
    'time to recover (faults cleared → first 200)': ms(back.elapsedMs),
  }));
  t.is(unavailable.value.status, 503);
});

test.serial('8. status service stopped: storage traffic unaffected; its view is complete again after a start', async (t) => {
  const [status] = await stack.containers('status');
  if (!status) throw new Error('no status container');
  await docker('stop', '--time', '5', status.id);
  let result: ScheduledLoadResult;
  try {
    result = await runScheduledLoad({ url: stack.url('/storagesvc/data'), rate: LOAD.rate, durationMs: 5_000, timeoutMs: LOAD.timeoutMs });
  } finally {
    await docker('start', status.id);
  }
  const startedAt = performance.now();
  const complete = await within('the status service reports the whole assembly again', 30_000, viewComplete, {
    since: startedAt,
    intervalMs: 100,
  });
  const lines = scenarioReport('8. status service stopped during 100 req/s for 5 s', {
    'storage load while it was down': describeScheduledLoad(result),
    'time to recover (docker start → complete view)': ms(complete.elapsedMs),
  });
  t.log(lines);
  t.is(result.failed, 0, describeScheduledLoad(result));
  t.is(complete.value.apps.storage?.healthy, 3);
});

/**
 * Whether `url` answers at all from inside `container` (any HTTP status), with the answer or the error.
 * An address with no route never refuses, it stays silent: 2 s without an answer counts as unreachable.
 */
async function reachableFrom(container: string, url: string): Promise<{ reachable: boolean; detail: string }> {
  const answer = await fetchInside(container, url, { timeoutMs: 2000 });
  return { reachable: answer.status > 0, detail: answer.status > 0 ? `HTTP ${answer.status}` : answer.body.slice(0, 120) };
}

test.serial('9. least privilege: only the proxy mounts the socket; it forwards reads and refuses the rest; replicas reach neither', async (t) => {
  const containers = await stack.containers();
  const socketMounts: Record<string, string[]> = {};
  for (const container of containers) {
    const mounts = JSON.parse(await docker('inspect', '-f', '{{json .Mounts}}', container.id)) as { Source: string }[];
    if (mounts.some((m) => m.Source === '/var/run/docker.sock')) (socketMounts[container.app] ??= []).push(container.name);
  }
  t.deepEqual(Object.keys(socketMounts), ['docker-api'], `containers that mount the Docker socket: ${JSON.stringify(socketMounts)}`);

  // Through the proxy, from a container on its network (the status service; the port is not published).
  const [status] = await stack.containers('status');
  const [victim] = await stack.storageReplicas();
  if (!status || !victim) throw new Error('no status or storage container');
  const proxy = 'http://docker-api:2375';
  const calls = {
    'GET /containers/json': await fetchInside(status.id, `${proxy}/containers/json`),
    [`GET /containers/{id}/json`]: await fetchInside(status.id, `${proxy}/containers/${victim.id}/json`),
    [`GET /containers/{id}/stats`]: await fetchInside(status.id, `${proxy}/containers/${victim.id}/stats?stream=false&one-shot=true`),
    'POST /containers/create': await fetchInside(status.id, `${proxy}/containers/create`, { method: 'POST', body: { Image: 'busybox' } }),
    'GET /containers/{id}/logs': await fetchInside(status.id, `${proxy}/containers/${victim.id}/logs?stdout=1`),
    'DELETE /containers/{id}': await fetchInside(status.id, `${proxy}/containers/${victim.id}?force=1`, { method: 'DELETE' }),
    'POST /containers/{id}/exec': await fetchInside(status.id, `${proxy}/containers/${victim.id}/exec`, { method: 'POST', body: { Cmd: ['id'] } }),
    'GET /images/json': await fetchInside(status.id, `${proxy}/images/json`),
    'GET /v1.41/volumes': await fetchInside(status.id, `${proxy}/v1.41/volumes`),
  };
  const statuses = Object.fromEntries(Object.entries(calls).map(([call, answer]) => [call, answer.status]));
  t.deepEqual(statuses, {
    'GET /containers/json': 200,
    'GET /containers/{id}/json': 200,
    'GET /containers/{id}/stats': 200,
    'POST /containers/create': 403,
    'GET /containers/{id}/logs': 403,
    'DELETE /containers/{id}': 403,
    'POST /containers/{id}/exec': 403,
    'GET /images/json': 403,
    'GET /v1.41/volumes': 403,
  });
  t.is(await docker('inspect', '-f', '{{.State.Running}}', victim.id), 'true', 'the DELETE did not remove the replica');

  // From a storage replica: the gateway's internal entrypoint (by name and by its address on the
  // control network) and the proxy are out of reach; the gateway's public entrypoint is not.
  const [gateway] = await stack.containers('gateway');
  if (!gateway) throw new Error('no gateway container');
  const networks = JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', gateway.id)) as Record<string, { IPAddress: string }>;
  const controlAddress = Object.entries(networks).find(([name]) => name.endsWith('_control'))?.[1].IPAddress;
  if (!controlAddress) throw new Error(`the gateway has no address on the control network: ${JSON.stringify(networks)}`);
  const fromReplica = {
    'gateway:8082/api/overview': await reachableFrom(victim.id, 'http://gateway:8082/api/overview'),
    'gateway-control:8082/ping': await reachableFrom(victim.id, 'http://gateway-control:8082/ping'),
    [`${controlAddress}:8082/ping (gateway on control)`]: await reachableFrom(victim.id, `http://${controlAddress}:8082/ping`),
    'docker-api:2375/_ping': await reachableFrom(victim.id, `${proxy}/_ping`),
  };
  t.log(scenarioReport('9. least privilege', {
    'socket mounted by': JSON.stringify(socketMounts),
    'through the proxy': JSON.stringify(statuses),
    'from a storage replica': JSON.stringify(Object.fromEntries(Object.entries(fromReplica).map(([k, v]) => [k, v.detail]))),
  }));
  for (const [target, answer] of Object.entries(fromReplica)) t.false(answer.reachable, `${target} from a storage replica: ${answer.detail}`);
  t.true((await reachableFrom(victim.id, 'http://gateway:8080/storagesvc/healthz')).reachable, 'the public entrypoint stays reachable');
});

test.serial('10. a second copy started with -p alone is isolated from the first', async (t) => {
  const second = await Stack.create({ project: `${stack.project}-second` });
  const startedAt = performance.now();
  try {
    await second.compose(['up', '-d']);
    const replicas = new Set((await second.storageReplicas()).map(replicaId));
    const routed = await within('the second copy routes to its own 3 replicas', 90_000, async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 9; i++) {
        const response = await fetch(second.url('/storagesvc/data'), { signal: AbortSignal.timeout(5000) });
        if (response.status !== 200) return undefined;
        seen.add(response.headers.get('x-replica-id') ?? '?');
      }
      return seen.size === 3 ? seen : undefined;
    }, { intervalMs: 250 });
    t.deepEqual([...routed.value].sort(), [...replicas].sort(), 'every answer came from the second copy');

    const secondView = await within('the second status service sees its own 6 containers', 30_000, async () => {
      const response = await fetch(second.url('/statussvc/status'), { signal: AbortSignal.timeout(5000) });
      const view = response.status === 200 ? ((await response.json()) as StatusView) : undefined;
      return view?.containers.length === 6 && view.apps.storage?.healthy === 3 ? view : undefined;
    }, { intervalMs: 250 });
    const secondIds = new Set((await second.containers()).map((c) => c.id));
    t.true(secondView.value.containers.every((c) => [...secondIds].some((id) => sameContainer(c, { id }))), 'the second view lists only its own containers');
    const firstView = await statusView();
    t.is(firstView.containers.length, 6, 'the first copy still sees only its own 6 containers');
    t.true(firstView.containers.every((c) => ![...secondIds].some((id) => sameContainer(c, { id }))));
    t.log(scenarioReport('10. second copy with -p alone', {
      'up and routing after': ms(routed.elapsedMs),
      'its replicas': [...replicas].join(', '),
    }));
  } finally {
    second.downSync();
    t.log(`second copy removed ${ms(performance.now() - startedAt)} after its start`);
  }
});
