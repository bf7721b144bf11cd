import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { freePort, runUntilExit, startServerProcess } from 'testkit/processes';
import { parseSamples, sampleValue } from 'testkit/prometheus-text';
import { DEFAULT_HISTORY_PATH, loadConfig } from '../src/config.ts';
import { parseDockerHost } from '../src/docker-api.ts';

const SERVER_ENTRY = fileURLToPath(new URL('../src/server.ts', import.meta.url));

/** The server's own settings and an uptime history file of its own, so that tests running at once do not share one. */
const serverEnv = (env: Record<string, string>) => ({ STATUS_HISTORY_PATH: join(tmpdir(), `status-history-${randomUUID()}.sqlite`), ...env });

test('defaults: port 3000, metrics on 9464, production, the local Docker socket, no gateway API, history in var/ for 7 days, stats every 10 s, no own container', (t) => {
  t.deepEqual(loadConfig({}), {
    port: 3000,
    metricsPort: 9464,
    appEnv: 'production',
    logLevel: 'info',
    dockerHost: 'unix:///var/run/docker.sock',
    dockerEndpoint: { socketPath: '/var/run/docker.sock' },
    traefikApiUrl: undefined,
    historyPath: DEFAULT_HISTORY_PATH,
    historyDays: 7,
    statsIntervalMs: 10_000,
    ownContainerId: undefined,
    stackNamespace: undefined,
  });
});

test('every variable is read; DOCKER_HOST as the Docker CLI reads it', (t) => {
  t.like(
    loadConfig({ PORT: '8080', METRICS_PORT: '9100', APP_ENV: 'development', LOG_LEVEL: 'debug', DOCKER_HOST: 'tcp://docker-api:2375', TRAEFIK_API_URL: 'http://gateway:8082', STATUS_HISTORY_PATH: '/var/lib/status/history.sqlite', STATUS_HISTORY_DAYS: '30', STATUS_STATS_INTERVAL_SECONDS: '30', HOSTNAME: '5c7f18c80cc8', STACK_NAMESPACE: 'assembly' }),
    { port: 8080, metricsPort: 9100, appEnv: 'development', logLevel: 'debug', dockerEndpoint: { host: 'docker-api', port: 2375 }, traefikApiUrl: 'http://gateway:8082', historyPath: '/var/lib/status/history.sqlite', historyDays: 30, statsIntervalMs: 30_000, ownContainerId: '5c7f18c80cc8', stackNamespace: 'assembly' },
  );
  t.deepEqual(parseDockerHost('unix:///run/user/1000/docker.sock'), { socketPath: '/run/user/1000/docker.sock' });
  t.deepEqual(parseDockerHost('tcp://[::1]:2375'), { host: '::1', port: 2375 });
  t.is(parseDockerHost('ssh://me@host'), null);
  t.is(parseDockerHost('unix://relative.sock'), null);
});

const badValues: Array<[Record<string, string>, RegExp]> = [
  [{ DOCKER_HOST: 'ssh://me@host' }, /DOCKER_HOST must be unix:\/\/\/path\/to\/socket or tcp:\/\/host:port \(got "ssh:\/\/me@host"\)/],
  [{ DOCKER_HOST: 'tcp://host:99999' }, /DOCKER_HOST must be/],
  [{ TRAEFIK_API_URL: 'gateway:8082' }, /TRAEFIK_API_URL must be an http\(s\) URL/],
  [{ TRAEFIK_API_URL: 'ftp://gateway' }, /TRAEFIK_API_URL must be an http\(s\) URL/],
  [{ PORT: '65536' }, /PORT must be an integer from 0 to 65535/],
  [{ METRICS_PORT: 'none' }, /METRICS_PORT must be an integer from 0 to 65535/],
  [{ STATUS_HISTORY_DAYS: '0' }, /STATUS_HISTORY_DAYS must be an integer from 1 to 3650/],
  [{ STATUS_STATS_INTERVAL_SECONDS: '0.5' }, /STATUS_STATS_INTERVAL_SECONDS must be an integer from 1 to 3600/],
  [{ STACK_NAMESPACE: '{{index .Service.Labels}}' }, /STACK_NAMESPACE must be a stack name/],
];
for (const [env, message] of badValues) {
  test(`a bad ${Object.entries(env)[0]!.join('=')} is refused with a message naming the variable`, (t) => {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message });
  });
}

test('the server refuses a bad setting at once: exit 1, one line, no stack', async (t) => {
  const { code, stderr } = await runUntilExit(SERVER_ENTRY, { DOCKER_HOST: 'ssh://me@host' });
  t.is(code, 1);
  t.is(stderr.trim().split('\n').length, 1);
  t.regex(stderr, /^status-service: invalid configuration: DOCKER_HOST must be/);
});

test('without a Docker Engine it still starts and serves: /healthz degraded, /status 503', async (t) => {
  const server = await startServerProcess(SERVER_ENTRY, serverEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }));
  t.teardown(() => server.kill('SIGKILL'));
  const health = await fetch(`${server.url}/healthz`);
  t.is(health.status, 200);
  t.like(await health.json(), { status: 'degraded', docker: { reachable: false, error: 'no Docker socket at /nonexistent/docker.sock' } });
  t.is((await fetch(`${server.url}/status`)).status, 503);
});

test('SIGTERM ends live streams, stops watching and exits 0 without waiting for subscribers', async (t) => {
  const server = await startServerProcess(SERVER_ENTRY, serverEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }));
  t.teardown(() => server.kill('SIGKILL'));
  const subscriber = await fetch(`${server.url}/status/stream`);
  const reader = subscriber.body!.getReader();
  await reader.read();
  server.kill('SIGTERM');
  const { code } = await server.exit;
  t.is(code, 0);
  let ended = false;
  while (!ended) ended = (await reader.read()).done;
  t.true(ended, 'the stream was ended by the server');
});

test('the server serves its metrics on METRICS_PORT: requests, Docker connection, Node process metrics', async (t) => {
  const metricsPort = await freePort();
  const server = await startServerProcess(SERVER_ENTRY, serverEnv({ DOCKER_HOST: 'unix:///nonexistent/docker.sock', METRICS_PORT: String(metricsPort) }));
  t.teardown(() => server.kill('SIGKILL'));
  await fetch(`${server.url}/healthz`);
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  const samples = parseSamples(await res.text());
  t.is(sampleValue(samples, 'http_server_request_duration_seconds_count', { http_route: '/healthz', http_response_status_code: '200' }), 1);
  t.is(sampleValue(samples, 'status_docker_connected'), 0);
  t.true(sampleValue(samples, 'process_resident_memory_bytes')! > 0);
  t.is((await fetch(`${server.url}/metrics`)).status, 404);
});
