import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import { DEFAULT_SCRAPE_INTERVAL, ownProject, renderConfig, scrapeInterval, validProject } from '../render-config.ts';

// prometheus-config as compose runs it before Prometheus: the template rendered with this container's
// compose project and the scrape interval, or one line on stderr and exit 1.

const SCRIPT = fileURLToPath(new URL('../render-config.ts', import.meta.url));
const TEMPLATE = fileURLToPath(new URL('../prometheus.yml', import.meta.url));

/** A stand-in for the Docker API proxy: GET /containers/{id}/json answers a container with `labels`. */
async function fakeProxy(labels: Record<string, string> | null, status = 200): Promise<{ url: string; server: Server; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(status === 200 ? { Id: 'abc', Config: { Labels: labels } } : { message: 'no such container' }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, asked };
}

async function run(env: Record<string, string>, out: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [SCRIPT, TEMPLATE, out], { env: { PATH: process.env.PATH, ...env } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

test('the template: every placeholder filled in, the project in the engine-side filter, the interval for scrapes, rules and discovery', async (t) => {
  const config = renderConfig(await readFile(TEMPLATE, 'utf8'), { project: 'assembly-e2e-observability', scrapeInterval: '5s' });
  t.notRegex(config, /__[A-Z_]+__/);
  t.true(config.includes('values: ["com.docker.compose.project=assembly-e2e-observability"]'));
  t.regex(config, /^ {2}scrape_interval: 5s$/m);
  t.regex(config, /^ {2}evaluation_interval: 5s$/m);
  t.regex(config, /^ {8}refresh_interval: 5s$/m);
});

test('compose project names: what docker-compose 1.29 and Compose v2 make, and nothing that could leave the YAML string', (t) => {
  for (const name of ['assembly', 'assembly-dev', 'assembly_e2e', 'demo2', '0x']) t.true(validProject(name), name);
  for (const name of ['', 'Assembly', '-p', '_x', 'a b', 'a"b', 'a\nb', 'x"]}', 'a.b', 'a/b']) t.false(validProject(name), JSON.stringify(name));
  const error = t.throws(() => renderConfig('x: __PROJECT__', { project: 'a"b', scrapeInterval: '5s' }));
  t.is(error?.message, '"a"b" is not a compose project name');
});

test('the scrape interval: 15s unless set; 1 s to 30 s in one unit, as Prometheus writes durations', (t) => {
  t.is(DEFAULT_SCRAPE_INTERVAL, '15s');
  t.is(scrapeInterval(undefined), '15s');
  t.is(scrapeInterval(''), '15s');
  for (const value of ['1s', '5s', '15s', '30s', '1000ms', '2500ms']) t.is(scrapeInterval(value), value);
  for (const value of ['0s', '999ms', '31s', '1m', '1h', '5', '5 s', ' 5s', '1m30s', '-5s', '05s', '5S', '1.5s']) {
    const error = t.throws(() => scrapeInterval(value), undefined, value);
    t.is(error?.message, `PROMETHEUS_SCRAPE_INTERVAL must be a duration from 1s to 30s, such as 5s or 15s (got "${value}")`);
  }
});

test('a placeholder the template has and nothing fills in is an error, not a literal in the configuration', (t) => {
  const error = t.throws(() => renderConfig('a: __PROJECT__\nb: __RETENTION__\n', { project: 'p', scrapeInterval: '5s' }));
  t.is(error?.message, 'the template has a placeholder nothing fills in: __RETENTION__');
});

test("ownProject: the container's compose project label; undefined without one; an error when the proxy refuses", async (t) => {
  const labelled = await fakeProxy({ 'com.docker.compose.project': 'demo2', 'assembly.app': 'x' });
  const unlabelled = await fakeProxy(null);
  const missing = await fakeProxy(null, 404);
  try {
    t.is(await ownProject(labelled.url, '0123456789ab', AbortSignal.timeout(2000)), 'demo2');
    t.deepEqual(labelled.asked, ['GET /containers/0123456789ab/json']);
    t.is(await ownProject(unlabelled.url, 'x', AbortSignal.timeout(2000)), undefined);
    await t.throwsAsync(ownProject(missing.url, 'x', AbortSignal.timeout(2000)), { message: 'GET /containers/x/json answered 404' });
  } finally {
    for (const { server } of [labelled, unlabelled, missing]) server.close();
  }
});

test('the script as compose runs it: writes the configuration and says so in one line; refuses a bad interval or a container without a project', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-config-'));
  const out = join(dir, 'prometheus.yml');
  const proxy = await fakeProxy({ 'com.docker.compose.project': 'demo2' });
  const noProject = await fakeProxy({});
  try {
    const ok = await run({ DOCKER_API_URL: proxy.url, PROMETHEUS_SCRAPE_INTERVAL: '5s' }, out);
    t.is(ok.code, 0, ok.stderr);
    t.is(ok.stdout, `prometheus-config: project demo2, scrape interval 5s: ${out}\n`);
    t.true((await readFile(out, 'utf8')).includes('com.docker.compose.project=demo2'));

    const badInterval = await run({ DOCKER_API_URL: proxy.url, PROMETHEUS_SCRAPE_INTERVAL: '2m' }, join(dir, 'never.yml'));
    t.is(badInterval.code, 1);
    t.is(badInterval.stderr, 'prometheus-config: PROMETHEUS_SCRAPE_INTERVAL must be a duration from 1s to 30s, such as 5s or 15s (got "2m")\n');

    const unlabelled = await run({ DOCKER_API_URL: noProject.url }, join(dir, 'never.yml'));
    t.is(unlabelled.code, 1);
    t.is(unlabelled.stderr, 'prometheus-config: this container has no compose project label; start it with docker-compose\n');
    await t.throwsAsync(readFile(join(dir, 'never.yml')));
  } finally {
    proxy.server.close();
    noProject.server.close();
  }
});
