import test from 'ava';
import { docker, fetchInside } from 'testkit/compose-stack';
import { StorageClient } from 'testkit/grpc-client';
import { within } from 'testkit/poll';
import { SEEDED_ITEMS, underMixedLoad, type MixedLoad } from 'testkit/mixed-load';
import { runScheduledLoad } from 'testkit/scheduled-load';
import { SwarmStack } from 'testkit/swarm-stack';
import { e2eProject, scenarioReport, type StatusContainer, type StatusView } from './helpers/assembly.ts';
import { ms } from './helpers/report.ts';

// docker-stack.yml on a single-node swarm (npm run test:swarm): the same answers as under compose, the
// Docker API proxy's allow-list, the networks, and changes under load — a rolling update, scaling out and
// in, a killed replica, a restarted database — without a failed request or a lost or doubled order.
// The swarm is made for the run if none is active, and left again (testkit/swarm-stack.ts).

let stack: SwarmStack;

test.before(async (t) => {
  const started = performance.now();
  stack = await SwarmStack.create({
    name: e2eProject('swarm'),
    // These scenarios load the replicas, not the rate limiter.
    env: { GATEWAY_RATE_AVERAGE: '100000', GATEWAY_RATE_BURST: '100000' },
  });
  await stack.deploy();
  // Every scenario buys: enough stock that no product runs out during the run.
  await stack.stockEveryProduct(1_000_000);
  t.log(`stack ${stack.name} deployed and serving in ${ms(performance.now() - started)} (${stack.baseUrl})`);
});

test.after.always(async () => {
  if (!stack) return;
  stack.remove();
  // A volume left behind would carry this run's database and uptime history into the next one.
  const left = await docker('volume', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${stack.name}`);
  if (left) throw new Error(`the stack's volumes are still there after remove(): ${left.split('\n').join(', ')}`);
});

const get = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(stack.url(path), { redirect: 'manual', signal: AbortSignal.timeout(5000), ...init });
  return { status: response.status, headers: response.headers, text: await response.text(), type: response.headers.get('content-type') ?? '' };
};

const statusView = async (query = ''): Promise<StatusView> => JSON.parse((await get(`/statussvc/status${query}`)).text) as StatusView;

const READ_RATE = 100;

/** Item reads at READ_RATE per second and 4 buyers placing keyed orders, from 3 s before `change` until 3 s after it. */
const underLoad = (change: () => Promise<void>) =>
  underMixedLoad(change, {
    url: (path) => stack.url(path),
    items: SEEDED_ITEMS,
    readRate: READ_RATE,
    buyers: 4,
    marginMs: 3000,
    maxSeconds: 150,
  });

/** Until `service` runs `count` tasks again, none of them in the `old` containers; how long that took, in milliseconds. */
async function replaced(service: string, old: string[], count: number): Promise<number> {
  const started = performance.now();
  await within(`${service} replaced`, 60_000, async () => {
    const running = await stack.taskContainers(service);
    const left = running.filter((c) => old.includes(c.id));
    if (running.length !== count || left.length) throw new Error(`${running.length} running, ${left.length} of them old`);
    return true;
  }, { intervalMs: 250 });
  return performance.now() - started;
}

/** The figures of a load, and what failed in it. */
function loadFigures({ reads, buyers }: MixedLoad): Record<string, string> {
  return {
    reads: `${reads.sent} at ${READ_RATE}/s, ${reads.failed} failed, p50 ${ms(reads.p50)}, p99 ${ms(reads.p99)}, max ${ms(reads.max)}`,
    'read failures (first 5)': JSON.stringify(reads.failures.slice(0, 5).map((o) => `${o.status ?? o.error} from ${o.replica ?? 'the gateway'} at ${ms(o.startedAt)}`)),
    orders: `${buyers.placed} placed, ${buyers.outOfStock} out of stock, ${buyers.retries} client retries, ${buyers.gaveUp} given up, errors ${JSON.stringify(buyers.errors)}`,
    check: `${buyers.check.ok ? 'consistent' : 'NOT consistent'}: ${JSON.stringify(buyers.check)}`,
  };
}

function assertNothingFailed(t: import('ava').ExecutionContext, load: MixedLoad): void {
  t.is(load.reads.failed, 0, 'every read answered 200');
  t.deepEqual(load.buyers.errors, {}, 'every buyer request answered as expected');
  t.is(load.buyers.retries, 0, 'no order had to be sent again by the client');
  t.is(load.buyers.gaveUp, 0);
  t.true(load.buyers.placed > 0, 'orders were placed');
  t.true(load.buyers.check.ok, JSON.stringify(load.buyers.check));
}

test.serial('1. the same paths and answers as under compose, gRPC included', async (t) => {
  const item = await get('/storagesvc/data/products/p-1001');
  t.is(item.status, 200, item.text);
  t.regex(item.type, /^application\/json/);
  t.truthy(item.headers.get('x-replica-id'));
  const written = await get('/storagesvc/data/notes/swarm-1', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'on swarm' }) });
  t.is(written.status, 201, written.text);
  t.like(JSON.parse((await get('/storagesvc/data/notes/swarm-1')).text), { id: 'swarm-1', text: 'on swarm' });
  // gRPC on the same port, from the services' deploy labels as under compose.
  const grpc = new StorageClient(new URL(stack.baseUrl).host);
  try {
    const { value: overGrpc } = await within('gRPC through the gateway', 10_000, async () => {
      const answer = await grpc.call('GetItem', { partitionKey: 'notes', id: 'swarm-1' }, { deadlineMs: 5000 });
      if (answer.codeName !== 'OK') throw new Error(`${answer.codeName} ${answer.details}`);
      return answer;
    });
    t.is(overGrpc.response.item.fields.text.stringValue, 'on swarm');
    t.truthy(overGrpc.replica);
  } finally {
    grpc.close();
  }

  const view = await statusView();
  t.like(view.apps, { storage: { running: 3 }, gateway: { running: 1 }, status: { running: 1 }, 'docker-api': { running: 1 }, postgres: { running: 1 } });
  // Swarm mode: each replica is a task, with its node's host name and its slot, routed by the gateway.
  const hostname = await docker('node', 'inspect', 'self', '--format', '{{.Description.Hostname}}');
  const replicas = view.containers.filter((c) => c.appName === 'storage') as Array<StatusContainer & { node: string | null; replica: number | null }>;
  t.deepEqual(replicas.map((c) => [c.node, c.replica, c.state, c.gateway?.status]), [1, 2, 3].map((slot) => [hostname, slot, 'running', 'UP']));
  t.true(replicas.every((c) => c.name.startsWith(`${stack.service('storage')}.`)), JSON.stringify(replicas.map((c) => c.name)));
  const page = await get('/');
  t.is(page.status, 302);
  const location = new URL(page.headers.get('location')!, stack.baseUrl);
  t.is((await get(location.pathname)).status, 200, 'the status page');
  const unknown = await get('/no/such/path');
  t.is(unknown.status, 404);
  t.is(unknown.type, 'application/problem+json');
  const dashboard = await get('/dashboard/');
  t.is(dashboard.status, 401);
  t.is(dashboard.type, 'application/problem+json');
  t.is(JSON.parse((await get('/storagesvc/healthz')).text).store, 'reachable');
});

test.serial('2. least privilege: only the proxy mounts the socket; swarm reads pass, writes and the rest are 403; the networks keep replicas and database apart', async (t) => {
  const mounts: Record<string, boolean> = {};
  for (const service of ['gateway', 'docker-api', 'status', 'storage', 'postgres']) {
    const spec = await docker('service', 'inspect', '--format', '{{json .Spec.TaskTemplate.ContainerSpec.Mounts}}', stack.service(service));
    mounts[service] = spec.includes('/var/run/docker.sock');
  }
  t.deepEqual(mounts, { gateway: false, 'docker-api': true, status: false, storage: false, postgres: false });

  const [status] = await stack.taskContainers('status');
  const [replica] = await stack.taskContainers('storage');
  if (!status || !replica) throw new Error('no status or storage task');
  const nodeId = await docker('node', 'inspect', 'self', '--format', '{{.ID}}');
  const proxy = 'http://docker-api:2375';
  const calls: Record<string, [string, { method?: string; body?: unknown }?]> = {
    'GET /services': [`${proxy}/services`],
    'GET /tasks': [`${proxy}/tasks`],
    'GET /networks': [`${proxy}/networks`],
    'GET /nodes/{id}': [`${proxy}/nodes/${nodeId}`],
    'GET /nodes': [`${proxy}/nodes`],
    'GET /swarm': [`${proxy}/swarm`],
    'GET /secrets': [`${proxy}/secrets`],
    'POST /services/create': [`${proxy}/services/create`, { method: 'POST', body: { Name: 'intruder' } }],
    'POST /services/{id}/update': [`${proxy}/services/${stack.service('storage')}/update`, { method: 'POST', body: {} }],
    'DELETE /services/{id}': [`${proxy}/services/${stack.service('storage')}`, { method: 'DELETE' }],
    'POST /nodes/{id}/update': [`${proxy}/nodes/${nodeId}/update`, { method: 'POST', body: {} }],
  };
  const statuses: Record<string, number> = {};
  for (const [call, [url, init]] of Object.entries(calls)) statuses[call] = (await fetchInside(status.id, url, init)).status;
  t.deepEqual(statuses, {
    'GET /services': 200,
    'GET /tasks': 200,
    'GET /networks': 200,
    'GET /nodes/{id}': 200,
    'GET /nodes': 403,
    'GET /swarm': 403,
    'GET /secrets': 403,
    'POST /services/create': 403,
    'POST /services/{id}/update': 403,
    'DELETE /services/{id}': 403,
    'POST /nodes/{id}/update': 403,
  });

  const reach = async (container: string, url: string) => (await fetchInside(container, url, { timeoutMs: 2000 })).status > 0;
  const tcp = async (container: string, host: string, port: number) =>
    (await docker('exec', container, 'node', '-e', `const s=require('net').connect(${port},'${host}');s.setTimeout(2000,()=>{console.log('no');process.exit(0)});s.on('connect',()=>{console.log('yes');process.exit(0)});s.on('error',()=>{console.log('no');process.exit(0)})`)) === 'yes';
  const reachability = {
    'storage → docker-api:2375': await reach(replica.id, `${proxy}/_ping`),
    'storage → gateway-control:8082': await reach(replica.id, 'http://gateway-control:8082/ping'),
    'storage → postgres:5432': await tcp(replica.id, 'postgres', 5432),
    'status → postgres:5432': await tcp(status.id, 'postgres', 5432),
    'status → docker-api:2375': await reach(status.id, `${proxy}/_ping`),
  };
  t.log(scenarioReport('swarm 2. least privilege', { 'through the proxy': JSON.stringify(statuses), reachability: JSON.stringify(reachability) }));
  t.deepEqual(reachability, {
    'storage → docker-api:2375': false,
    'storage → gateway-control:8082': false,
    'storage → postgres:5432': true,
    'status → postgres:5432': false,
    'status → docker-api:2375': true,
  });
});

test.serial('3. a rolling update under load (docker service update --force): no failed request, no lost, doubled or oversold order', async (t) => {
  const before = (await stack.taskContainers('storage')).map((c) => c.id);
  let updateMs = 0;
  const load = await underLoad(async () => {
    const started = performance.now();
    await stack.updateService('storage', '--force');
    updateMs = performance.now() - started;
  });
  // The update returns once the last new task runs; the old task it replaced drains for 5 s
  // (SHUTDOWN_DRAIN_MS) and may still be running, within its stop_grace_period of 20 s.
  const oldGoneMs = await replaced('storage', before, 3);
  t.log(scenarioReport('swarm 3. rolling update under load', { update: ms(updateMs), 'old tasks gone after the load': ms(oldGoneMs), ...loadFigures(load) }));
  t.true(oldGoneMs <= 20_000, `the old tasks stopped ${ms(oldGoneMs)} after the load`);
  assertNothingFailed(t, load);
});

test.serial('4. scaling out to 5 and back to 3 under load: new tasks routed within 10 s, no failed request', async (t) => {
  let routedMs = 0;
  const out = await underLoad(async () => {
    await stack.docker(['service', 'scale', '--detach=true', `${stack.service('storage')}=5`]);
    routedMs = await stack.waitRouted(5, 30_000);
  });
  t.log(scenarioReport('swarm 4a. scale out to 5', { 'routed after': ms(routedMs), ...loadFigures(out) }));
  t.true(routedMs <= 10_000, `5 tasks routed after ${ms(routedMs)}`);
  assertNothingFailed(t, out);

  const back = await underLoad(async () => {
    await stack.docker(['service', 'scale', '--detach=false', `${stack.service('storage')}=3`]);
    await stack.waitRouted(3, 30_000);
  });
  t.log(scenarioReport('swarm 4b. scale back to 3', loadFigures(back)));
  assertNothingFailed(t, back);
});

test.serial('5. a storage task\'s container killed under load: no failed request; Swarm replaces it', async (t) => {
  const [victim] = await stack.taskContainers('storage');
  if (!victim) throw new Error('no storage task');
  let replacedMs = 0;
  let reportedMs = 0;
  const load = await underLoad(async () => {
    const killed = performance.now();
    await docker('kill', victim.id);
    // The status service lists the tasks every second, and at once on the container's event.
    await within('the status service reports the killed task', 10_000, async () => {
      const entry = (await statusView('?appName=storage')).containers.find((c) => victim.id.startsWith(c.id));
      return entry?.state === 'exited' || undefined;
    }, { intervalMs: 50 });
    reportedMs = performance.now() - killed;
    await replaced('storage', [victim.id], 3);
    await stack.waitRouted(3, 30_000);
    replacedMs = performance.now() - killed;
  });
  t.log(scenarioReport('swarm 5. a killed task', { 'reported exited after': ms(reportedMs), 'replaced and routed after': ms(replacedMs), ...loadFigures(load) }));
  t.true(reportedMs <= 2000, `the status service reported the killed task after ${ms(reportedMs)}`);
  assertNothingFailed(t, load);
});

test.serial('6. no storage task up: 503 problem+json from the gateway at once, and served again once they are back', async (t) => {
  await stack.docker(['service', 'scale', '--detach=false', `${stack.service('storage')}=0`]);
  await stack.waitRouted(0, 30_000);
  const started = performance.now();
  const none = await get('/storagesvc/data/products/p-1001');
  const tookMs = performance.now() - started;
  t.is(none.status, 503, none.text);
  t.is(none.type, 'application/problem+json');
  t.truthy(none.headers.get('retry-after'));
  t.true(tookMs < 2000, `answered after ${ms(tookMs)}`);
  await stack.docker(['service', 'scale', '--detach=false', `${stack.service('storage')}=3`]);
  await stack.waitRouted(3, 60_000);
  t.is((await get('/storagesvc/data/products/p-1001')).status, 200);
});

test.serial('7. the PostgreSQL task restarted under load: writes resume within 15 s, the status page never fails', async (t) => {
  const [database] = await stack.taskContainers('postgres');
  if (!database) throw new Error('no postgres task');
  const stop = new AbortController();
  const page = runScheduledLoad({ url: stack.url('/statussvc/status'), rate: 20, durationMs: 120_000, timeoutMs: 5000, signal: stop.signal });
  let resumedMs = 0;
  const load = await underLoad(async () => {
    const killedAt = performance.now();
    await docker('kill', database.id);
    await replaced('postgres', [database.id], 1);
    // Writes resume: an order through the gateway is placed again.
    await within('an order placed again', 30_000, async () => {
      const answer = await get('/storagesvc/orders', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() }, body: JSON.stringify({ productId: 'p-1001', quantity: 1 }) });
      if (answer.status !== 201 && answer.status !== 409) throw new Error(`POST /orders answered ${answer.status}`);
      return true;
    }, { intervalMs: 200 });
    resumedMs = performance.now() - killedAt;
  });
  stop.abort();
  const pageLoad = await page;
  t.log(scenarioReport('swarm 7. PostgreSQL restarted', {
    'writes resumed after': ms(resumedMs),
    'status page': `${pageLoad.sent} reads, ${pageLoad.failed} failed, p99 ${ms(pageLoad.p99)}`,
    ...loadFigures(load),
  }));
  t.true(resumedMs <= 15_000, `writes resumed after ${ms(resumedMs)}`);
  t.is(pageLoad.failed, 0, 'every status read answered 200');
  // Item reads need the database: while it is down they are 503s, and the buyers retry their keys.
  t.true(load.buyers.check.ok, JSON.stringify(load.buyers.check));
});
