import { readFile } from 'node:fs/promises';
import test from 'ava';
import { docker, fetchInside, Stack } from 'testkit/compose-stack';
import { within } from 'testkit/poll';
import { freePort } from 'testkit/processes';
import { parseSamples, sampleValue } from 'testkit/prometheus-text';
import { Assembly, scenarioReport } from './helpers/assembly.ts';
import { ms } from './helpers/report.ts';
import { developmentCa, httpsRequest } from './helpers/tls.ts';

// Prometheus (the observability profile) on the whole assembly with .env.dev settings: a scrape and a
// discovery refresh every 5 s. What it scrapes and where, which Docker API calls its discovery makes, that
// traffic and a replica that stops answering show, that a scaled replica is scraped without a change,
// and that another project's containers never are. Each scenario leaves the stack as it found it.

const SCRAPE_MS = 5000; // .env.dev: PROMETHEUS_SCRAPE_INTERVAL, also docker SD's refresh interval
const SCRAPED_APPS = ['gateway', 'status', 'storage'];

let assembly: Assembly;
let stack: Stack;
/** Prometheus' API on its published port of 127.0.0.1. */
let prometheus: string;

test.before(async (t) => {
  const port = await freePort();
  prometheus = `http://127.0.0.1:${port}`;
  assembly = await Assembly.start(t, 'observability', { PROMETHEUS_PORT: String(port) }, [], ['observability']);
  stack = assembly.stack;
});

test.after.always(async (t) => {
  await assembly?.stop(t);
});

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(expr: string): Promise<Sample[]> {
  const response = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
  const body = (await response.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== 'success' || !body.data) throw new Error(`${expr}: ${body.error ?? response.status}`);
  return body.data.result;
}

/** The value of an expression with one result; undefined while it has none. */
async function scalar(expr: string): Promise<number | undefined> {
  const [sample, ...more] = await query(expr);
  if (more.length) throw new Error(`${expr}: ${more.length + 1} results`);
  return sample ? Number(sample.value[1]) : undefined;
}

interface Targets {
  activeTargets: Array<{ labels: Record<string, string>; discoveredLabels: Record<string, string>; scrapeUrl: string; health: string; lastError: string }>;
  droppedTargets: Array<{ discoveredLabels: Record<string, string> }>;
}

async function targets(): Promise<Targets> {
  const response = await fetch(`${prometheus}/api/v1/targets`, { signal: AbortSignal.timeout(5000) });
  return ((await response.json()) as { data: Targets }).data;
}

/** A sample of Prometheus' own /metrics (the registry of the server itself, not a query). */
async function ownMetric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${prometheus}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const value = sampleValue(parseSamples(text), name, labels);
  if (value === undefined) throw new Error(`Prometheus' /metrics has no ${name} ${JSON.stringify(labels)}`);
  return value;
}

/** A container's address on one of the project's networks (`storage`, `control`); undefined when it is not on it. */
async function addressOn(id: string, network: string): Promise<string | undefined> {
  const networks = JSON.parse(await docker('inspect', '-f', '{{json .NetworkSettings.Networks}}', id)) as Record<string, { IPAddress: string }>;
  return networks[`${stack.project}_${network}`]?.IPAddress;
}

/** The compose project's running containers that must be targets, name → app, and their address on the network they are scraped on. */
async function expectedTargets(): Promise<Map<string, { app: string; address: string }>> {
  const expected = new Map<string, { app: string; address: string }>();
  for (const app of SCRAPED_APPS) {
    for (const container of await stack.running(app)) {
      const network = app === 'storage' ? 'storage' : 'control';
      const ip = await addressOn(container.id, network);
      if (!ip) throw new Error(`${container.name} has no address on ${stack.project}_${network}`);
      expected.set(container.name, { app, address: `${ip}:${app === 'gateway' ? 8082 : 9464}` });
    }
  }
  return expected;
}

/** Until `up{job="assembly"}` has exactly the expected containers, each 1 with its app; the samples. */
async function scrapedExactly(what: string, deadlineMs: number, since = performance.now()): Promise<{ value: Sample[]; elapsedMs: number }> {
  const expected = await expectedTargets();
  return within(what, deadlineMs, async () => {
    const up = await query('up{job="assembly"}');
    const seen = up.map((s) => `${s.metric.instance}(${s.metric.app})=${s.value[1]}`).sort().join(', ');
    const ok = up.length === expected.size && up.every((s) => expected.get(s.metric.instance ?? '')?.app === s.metric.app && s.value[1] === '1');
    if (!ok) throw new Error(`up: ${seen}; expected ${[...expected].map(([name, { app }]) => `${name}(${app})`).join(', ')}`);
    return up;
  }, { intervalMs: 1000, since });
}

async function prometheusContainer(): Promise<string> {
  const id = await docker('ps', '-q', '--filter', `label=com.docker.compose.project=${stack.project}`, '--filter', 'label=com.docker.compose.service=prometheus');
  if (!id) throw new Error('no Prometheus container');
  return id;
}

test.serial('1. Prometheus scrapes every storage replica, the status service and the gateway, once each, by container name and app', async (t) => {
  const up = await scrapedExactly('every container of the three apps up in Prometheus', 60_000);
  const expected = await expectedTargets();
  const active = (await targets()).activeTargets.filter((target) => target.labels.job === 'assembly');
  // Once each, at its address on the network Prometheus shares with it, on its metrics port.
  t.deepEqual(
    active.map((target) => `${target.labels.instance} ${target.scrapeUrl}`).sort(),
    [...expected].map(([name, { address }]) => `${name} http://${address}/metrics`).sort(),
  );
  t.deepEqual([...new Set(up.value.map((s) => s.metric.app))].sort(), SCRAPED_APPS);
  // The services' own metrics and Traefik's, with the labels the rules group by.
  t.true((await query('process_resident_memory_bytes{job="assembly", app="storage"}')).length === 3);
  t.true((await query('traefik_entrypoint_requests_total{app="gateway", entrypoint=~"web|websecure"}')).length > 0);
  // No assembly.app label (docker-compose.yml): the status page still shows the assembly alone.
  t.deepEqual(Object.keys((await assembly.statusView()).apps).sort(), ['docker-api', 'gateway', 'status', 'storage']);
  // Every rule evaluates (a rule whose query fails has health "err").
  const rules = (await (await fetch(`${prometheus}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
  const broken = rules.data.groups.flatMap((g) => g.rules).filter((rule) => rule.health === 'err');
  t.deepEqual(broken, []);
  t.log(scenarioReport('1. Prometheus targets', {
    'all up after': ms(up.elapsedMs),
    targets: active.map((target) => `${target.labels.instance} (${target.labels.app}) ${target.scrapeUrl}`).join('; '),
    rules: String(rules.data.groups.flatMap((g) => g.rules).length),
  }));
});

test.serial("2. discovery reads this project's containers through the proxy, with read calls it allows", async (t) => {
  const id = await prometheusContainer();
  const startedAt = await docker('inspect', '-f', '{{.State.StartedAt}}', id);
  const address = await addressOn(id, 'control');
  if (!address) throw new Error('Prometheus has no address on the control network');
  const [proxy] = await stack.containers('docker-api');
  if (!proxy) throw new Error('no docker-api container');
  // HAProxy's log (httplog): `ip:port [date] frontend backend timers status bytes … "METHOD /path HTTP/1.1"`.
  const log = await docker('logs', '--since', startedAt, proxy.id);
  const calls = log
    .split('\n')
    .filter((line) => line.startsWith(`${address}:`))
    .map((line) => {
      const [, status = '', method = '', path = ''] = /\s(\d{3})\s.*"(\S+) (\S+) HTTP/.exec(line) ?? [];
      return { status, method, path };
    });
  const kinds = [...new Set(calls.map((c) => `${c.method} ${c.path.replace(/^\/v\d+\.\d+\//, '/').replace(/\?.*/, '')}`))].sort();
  t.log(scenarioReport("2. Prometheus' calls to the Docker API proxy", {
    'calls since it started': `${calls.length}: ${kinds.join(', ')}`,
    'container list filter': decodeURIComponent(calls.find((c) => c.path.includes('/containers/json'))?.path.replace(/.*\?filters=/, '') ?? '-'),
  }));
  t.true(calls.length > 0, `no line from ${address} in the proxy's log`);
  t.deepEqual(calls.filter((c) => c.status !== '200'), [], 'every call answered 200');
  t.deepEqual(kinds.filter((kind) => !['HEAD /_ping', 'GET /_ping', 'GET /containers/json', 'GET /networks'].includes(kind)), []);
  t.true(kinds.includes('GET /containers/json') && kinds.includes('GET /networks'));
  // Filtered by the engine to this project (prometheus.yml, rendered with the project's name).
  const list = calls.find((c) => c.path.includes('/containers/json'))!;
  const filters = JSON.parse(new URLSearchParams(list.path.replace(/^[^?]*\?/, '')).get('filters') ?? '{}') as { label?: Record<string, boolean> };
  t.deepEqual(filters, { label: { [`com.docker.compose.project=${stack.project}`]: true } });
  t.is(await ownMetric('prometheus_sd_refresh_failures_total', { mechanism: 'docker' }), 0);
});

test.serial("3. Traefik's metrics are on the internal entrypoint only; Prometheus listens on its own network only", async (t) => {
  // The public entrypoints: the gateway's 404 problem, as for any path no router takes.
  const plain = await assembly.get('/metrics');
  t.is(plain.status, 404);
  t.regex(plain.type, /^application\/problem\+json/);
  const ca = await developmentCa(stack);
  const secure = await httpsRequest({ port: stack.httpsPort, servername: 'localhost', ca }, '/metrics');
  t.is(secure.status, 404);
  t.false(secure.text.includes('traefik_'));
  // From a storage replica: neither the gateway's metrics (its address on the network they share) nor Prometheus' API.
  const [replica] = await stack.running('storage');
  const [gateway] = await stack.running('gateway');
  if (!replica || !gateway) throw new Error('no storage replica or gateway');
  const fromReplica = {
    'gateway :8082/metrics': await fetchInside(replica.id, `http://${await addressOn(gateway.id, 'storage')}:8082/metrics`, { timeoutMs: 2000 }),
    'prometheus :9090/-/ready': await fetchInside(replica.id, `http://${await addressOn(await prometheusContainer(), 'storage')}:9090/-/ready`, { timeoutMs: 2000 }),
  };
  for (const [what, answer] of Object.entries(fromReplica)) t.is(answer.status, 0, `${what} from a storage replica: ${answer.status} ${answer.body.slice(0, 100)}`);
  // From the host, through the published port: ready.
  t.is((await fetch(`${prometheus}/-/ready`)).status, 200);
});

test.serial("4. reads through the gateway raise the gateway's and the replicas' request counts", async (t) => {
  const gatewayExpr = 'sum(traefik_service_requests_total)';
  const storageExpr = 'sum(http_server_request_duration_seconds_count{app="storage", http_route="/data"})';
  const before = await within('both counts scraped', 30_000, async () => {
    const [gatewayCount, storageCount] = [await scalar(gatewayExpr), await scalar(storageExpr)];
    return gatewayCount !== undefined && storageCount !== undefined ? { gatewayCount, storageCount } : undefined;
  }, { intervalMs: 1000 });
  const reads = 30;
  for (let i = 0; i < reads; i++) t.is((await assembly.get('/storagesvc/data')).status, 200);
  const after = await within(`both counts up by ${reads}`, 4 * SCRAPE_MS, async () => {
    const [gatewayCount = 0, storageCount = 0] = [await scalar(gatewayExpr), await scalar(storageExpr)];
    const rose = gatewayCount - before.value.gatewayCount >= reads && storageCount - before.value.storageCount >= reads;
    if (!rose) throw new Error(`gateway ${before.value.gatewayCount} → ${gatewayCount}, storage ${before.value.storageCount} → ${storageCount}`);
    return { gatewayCount, storageCount };
  }, { intervalMs: 1000 });
  // The route label the rules leave out (the gateway's health check, once a second per replica) is the real one.
  const healthChecks = await query('http_server_request_duration_seconds_count{app="storage", http_route="/healthz", http_response_status_code="200"}');
  t.is(new Set(healthChecks.map((s) => s.metric.instance)).size, 3, 'a /healthz series per replica');
  const healthCheckCount = healthChecks.reduce((sum, s) => sum + Number(s.value[1]), 0);
  const rate = await within('the recording rule counts the reads', 4 * SCRAPE_MS, async () => ((await scalar('app:http_server_requests:rate2m{app="storage"}')) ?? 0) > 0);
  t.log(scenarioReport('4. request counts', {
    [gatewayExpr]: `${before.value.gatewayCount} → ${after.value.gatewayCount}`,
    [storageExpr]: `${before.value.storageCount} → ${after.value.storageCount}`,
    'seen after the last read': ms(after.elapsedMs),
    'health checks counted so far (left out by the rules)': String(healthCheckCount),
    'app:http_server_requests:rate2m > 0 after': ms(rate.elapsedMs),
  }));
});

/**
 * The host PID of a replica's Node process: the one child of its init (compose's `init: true`), whose
 * PID Docker reports. Stopping it with SIGSTOP freezes the replica as a hung process would, and Docker
 * still calls the container running. `docker pause` would not do: a container event during the pause
 * (any container's start, stop or health change) makes Traefik list the containers, and it drops the
 * paused one; its Docker provider does not follow `unpause`, so it routes the replica again only at the
 * next such event (checked: 12 s after the unpause once, in a CI run not within 120 s).
 */
async function nodeProcess(containerId: string): Promise<number> {
  const init = await docker('inspect', '-f', '{{.State.Pid}}', containerId);
  const children = (await readFile(`/proc/${init}/task/${init}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
  if (children.length !== 1) throw new Error(`expected one process under the init of ${containerId}, found ${children.length}`);
  return Number(children[0]);
}

test.serial('5. a replica that stops answering is up 0, and its alerts are pending, the gateway\'s for HTTP and for gRPC', async (t) => {
  const [victim] = await stack.running('storage');
  if (!victim) throw new Error('no replica');
  const pid = await nodeProcess(victim.id);
  const stoppedAt = performance.now();
  process.kill(pid, 'SIGSTOP');
  let pending: { value: Sample[]; elapsedMs: number };
  let resumedAt = 0;
  try {
    // GatewayServerDown twice: the replica's HTTP server and its gRPC server, each a server of its own
    // Traefik service (storage@docker, storage-grpc@docker) with its own health check.
    pending = await within('AssemblyTargetDown and GatewayServerDown (HTTP and gRPC) pending', 45_000, async () => {
      const alerts = await query('ALERTS{alertname=~"AssemblyTargetDown|GatewayServerDown"}');
      const serverDown = (service: string) => alerts.some((a) => a.metric.alertname === 'GatewayServerDown' && a.metric.service === service);
      return alerts.some((a) => a.metric.alertname === 'AssemblyTargetDown') && serverDown('storage@docker') && serverDown('storage-grpc@docker') ? alerts : undefined;
    }, { intervalMs: 1000, since: stoppedAt });
  } finally {
    process.kill(pid, 'SIGCONT');
    resumedAt = performance.now();
  }
  const targetDown = pending.value.find((a) => a.metric.alertname === 'AssemblyTargetDown');
  t.like(targetDown?.metric, { alertstate: 'pending', app: 'storage', instance: victim.name, severity: 'warning' });
  for (const service of ['storage@docker', 'storage-grpc@docker']) {
    t.like(pending.value.find((a) => a.metric.alertname === 'GatewayServerDown' && a.metric.service === service)?.metric, { alertstate: 'pending' });
  }
  const back = await scrapedExactly('the replica up again in Prometheus', 30_000, resumedAt);
  await stack.waitRouted(3);
  t.log(scenarioReport('5. a replica stopped with SIGSTOP', {
    'the alerts pending after': ms(pending.elapsedMs),
    'up again in Prometheus after SIGCONT': ms(back.elapsedMs),
  }));
});

test.serial('6. a replica added by scale(4) is scraped and up without a change to Prometheus', async (t) => {
  const id = await prometheusContainer();
  const startedAt = await docker('inspect', '-f', '{{.State.StartedAt}}', id);
  const reloadedAt = await ownMetric('prometheus_config_last_reload_success_timestamp_seconds');
  try {
    const scaledAt = performance.now();
    await stack.scale(4);
    const scaled = await scrapedExactly('4 storage replicas up in Prometheus', 60_000);
    t.is(scaled.value.filter((s) => s.metric.app === 'storage').length, 4);
    // The same Prometheus process, its configuration not loaded again.
    t.is(await prometheusContainer(), id);
    t.is(await docker('inspect', '-f', '{{.State.StartedAt}}', id), startedAt);
    t.is(await ownMetric('prometheus_config_last_reload_success_timestamp_seconds'), reloadedAt);
    t.log(scenarioReport('6. scale to 4', {
      'the 4th replica up in Prometheus, after the gateway routed it': ms(scaled.elapsedMs),
      'after `up --scale` was called': ms(performance.now() - scaledAt),
    }));
  } finally {
    await stack.scale(3);
  }
  await scrapedExactly('back to 3 storage replicas in Prometheus', 60_000);
});

test.serial("7. another project's containers are never targets, even on this project's network with this project's labels", async (t) => {
  // A decoy that the relabelling alone would keep: assembly.app=storage on this project's storage network,
  // but of another compose project. Removed by the stack's teardown too (runLabel).
  const decoyProject = `${stack.project}-decoy`;
  const decoy = await docker(
    'run', '-d', '--rm', '--label', stack.runLabel, '--label', `com.docker.compose.project=${decoyProject}`, '--label', 'assembly.app=storage',
    '--network', `${stack.project}_storage`, '--expose', '9464', '--entrypoint', 'sleep', stack.env.NODE_IMAGE ?? 'node:24-bookworm-slim', 'infinity',
  );
  try {
    // Two discovery refreshes that began after the decoy ran.
    const refreshes = () => ownMetric('prometheus_sd_refresh_duration_seconds_count', { mechanism: 'docker' });
    const before = await refreshes();
    await within('two discovery refreshes', 4 * SCRAPE_MS, async () => (await refreshes()) >= before + 2, { intervalMs: 500 });
    const { activeTargets, droppedTargets } = await targets();
    const discovered = [...activeTargets, ...droppedTargets]
      .map((target) => target.discoveredLabels)
      .filter((labels) => labels.__meta_docker_container_id);
    const projects = [...new Set(discovered.map((labels) => labels.__meta_docker_container_label_com_docker_compose_project))];
    t.deepEqual(projects, [stack.project], 'every container Docker SD found is of this project');
    t.false(discovered.some((labels) => labels.__meta_docker_container_id === decoy));
    // And every target is one of this project's containers, by name.
    const ours = new Set((await stack.containers()).map((c) => c.name));
    const strangers = activeTargets.filter((target) => target.labels.job === 'assembly' && !ours.has(target.labels.instance ?? ''));
    t.deepEqual(strangers.map((target) => target.labels.instance), []);
    t.log(scenarioReport("7. another project's containers", {
      'discovered (container × network × port)': String(discovered.length),
      projects: projects.join(', '),
      'other projects on this engine': (await docker('ps', '--format', '{{.Label "com.docker.compose.project"}}')).split('\n').filter((p) => p && p !== stack.project).filter((p, i, all) => all.indexOf(p) === i).join(', ') || 'the decoy only',
    }));
  } finally {
    await docker('rm', '-f', decoy).catch(() => undefined);
  }
});
