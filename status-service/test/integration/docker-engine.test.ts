import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import Docker from 'dockerode';
import { chromium } from 'playwright-core';
import { ContainerView } from '../../src/container-view.ts';
import { dockerodeApi } from '../../src/docker-api.ts';
import { DockerWatcher } from '../../src/docker-watcher.ts';
import { ResourceSampler } from '../../src/resource-sampler.ts';
import { UptimeHistory } from '../../src/uptime-history.ts';
import { within } from 'testkit/poll';
import { captureLogs, startApp, type RunningApp } from '../helpers.ts';

// Against the real Docker Engine: labelled containers of a project of their own, started, stopped,
// killed and removed, while the service watches; how fast each change shows is part of the contract
// checked here. The service runs in this process: a container of the project stands in for its own
// (HOSTNAME), so that Docker tells it its project. Every container this file starts is removed afterwards.

const SOCKET = '/var/run/docker.sock';
const IMAGE = process.env.NODE_IMAGE ?? 'local/node:24';
const PROJECT = `status-it-${process.pid}-${Date.now().toString(36)}`;
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
/** How fast a stop, kill or start must show in /status: the service's contract. */
const VISIBLE_WITHIN_MS = 1_000;

const docker = new Docker({ socketPath: SOCKET });

async function engineProblem(): Promise<string | undefined> {
  try {
    await docker.ping();
  } catch (err) {
    return `no Docker Engine at ${SOCKET} (${(err as Error).message}); run ../shared/airgap/docker-up.sh`;
  }
  try {
    await docker.getImage(IMAGE).inspect();
  } catch {
    return `image ${IMAGE} is missing; run ../shared/airgap/node-image.sh 24`;
  }
  return undefined;
}

const skipReason = await engineProblem();
if (skipReason) console.log(`status-service Docker integration tests skipped: ${skipReason}`);
const engineTest = skipReason ? test.serial.skip : test.serial;
const browserTest = skipReason || !existsSync(CHROMIUM) ? test.serial.skip : test.serial;
if (!skipReason && !existsSync(CHROMIUM)) console.log(`status page browser test skipped: no ${CHROMIUM} (apt-get install chromium)`);

/** A small labelled container that stops at once on SIGTERM and reports healthy within a second or two. */
async function startLabelled(app: string, number: number, project = PROJECT): Promise<Docker.Container> {
  const container = await docker.createContainer({
    Image: IMAGE,
    name: `${project}_${app}_${number}`,
    Cmd: ['node', '-e', "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)"],
    Labels: { 'assembly.app': app, 'com.docker.compose.project': project, 'com.docker.compose.container-number': String(number) },
    Healthcheck: { Test: ['CMD', 'node', '-e', 'process.exit(0)'], Interval: 500_000_000, Timeout: 2_000_000_000, Retries: 3 },
    HostConfig: { NetworkMode: 'bridge' },
  });
  await container.start();
  return container;
}

async function removeProjects(): Promise<void> {
  for (const project of [PROJECT, `${PROJECT}-other`]) {
    const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
    await Promise.all(left.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  }
}

interface Watched extends RunningApp {
  stop: () => Promise<void>;
}

/** The service as server.ts wires it, on an ephemeral port, watching the engine at `socketPath` from `ownContainerId`. */
async function watchedApp(ownContainerId: string, { socketPath = SOCKET, historyPath = ':memory:' } = {}): Promise<Watched> {
  const view = new ContainerView(`unix://${socketPath}`);
  const history = new UptimeHistory(historyPath, 7);
  const { logger } = captureLogs();
  const api = dockerodeApi({ socketPath });
  const resources = new ResourceSampler({ api, view, logger, intervalMs: 300 });
  const app = await startApp({ view, history, resources });
  const watcher = new DockerWatcher({ api, view, logger, ownContainerId, socketPath });
  watcher.start();
  resources.start();
  return { ...app, stop: async () => { await Promise.all([watcher.stop(), resources.stop()]); await app.close(); history.close(); } };
}

async function status(app: RunningApp, query = '') {
  const response = await fetch(`${app.url}/status${query}`, { signal: AbortSignal.timeout(2_000) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function stateOf(app: RunningApp, container: Docker.Container): Promise<Record<string, any> | undefined> {
  const { status: code, body } = await status(app, `?id=${container.id.slice(0, 12)}`);
  return code === 200 ? body.container : undefined;
}

let app: Watched;
let replicas: Docker.Container[] = [];
/** Short id of a container of PROJECT that stands in for the service's own. */
let ownId: string;

test.before(async () => {
  if (skipReason) return;
  await removeProjects();
  replicas = await Promise.all([1, 2, 3].map((n) => startLabelled('storage', n)));
  await startLabelled('gateway', 1);
  await startLabelled('storage', 1, `${PROJECT}-other`);
  const unlabelled = await docker.createContainer({ Image: IMAGE, name: `${PROJECT}_unlabelled`, Cmd: ['true'], Labels: { 'com.docker.compose.project': PROJECT } });
  ownId = unlabelled.id.slice(0, 12);
  app = await watchedApp(ownId);
});

test.after.always(async () => {
  if (skipReason) return;
  await app?.stop();
  await removeProjects();
});

engineTest("lists the project's labelled containers only, and sees them become healthy", async (t) => {
  const { value: body } = await within('every container healthy', 15_000, async () => {
      const { body } = await status(app);
      return body.apps?.storage?.healthy === 3 && body.apps?.gateway?.healthy === 1 ? body : undefined;
    });
  t.deepEqual(body.apps, { gateway: { total: 1, running: 1, healthy: 1 }, storage: { total: 3, running: 3, healthy: 3 } });
  t.deepEqual(body.containers.map((c: any) => `${c.appName}/${c.replica}`), ['gateway/1', 'storage/1', 'storage/2', 'storage/3']);
  t.true(body.containers.every((c: any) => /^[0-9a-f]{12}$/.test(c.id) && c.addresses.length === 1 && c.startedAt));
  t.is(body.containers[1].name, `${PROJECT}_storage_1`);
});

engineTest('docker stop shows as exited within 1 s', async (t) => {
  const [replica] = replicas;
  await replica!.stop({ t: 5 });
  const seen = await within('exited in /status', VISIBLE_WITHIN_MS, async () => (await stateOf(app, replica!))?.state === 'exited');
  t.true(seen.value);
  t.like(await stateOf(app, replica!), { health: 'none', exitCode: 0 });
});

engineTest('docker kill shows as exited with code 137 within 1 s', async (t) => {
  const replica = replicas[1]!;
  await replica.kill();
  await within('exited in /status', VISIBLE_WITHIN_MS, async () => (await stateOf(app, replica))?.state === 'exited');
  await within('exit code 137', 5_000, async () => (await stateOf(app, replica))?.exitCode === 137);
  const { body } = await status(app, '?appName=storage');
  t.deepEqual(body.apps.storage, { total: 3, running: 1, healthy: 1 });
});

engineTest('docker start shows as running within 1 s, then healthy', async (t) => {
  const [first, second] = replicas;
  await Promise.all([first!.start(), second!.start()]);
  await within('running in /status', VISIBLE_WITHIN_MS, async () => (await stateOf(app, first!))?.state === 'running' && (await stateOf(app, second!))?.state === 'running');
  await within('healthy again', 15_000, async () => (await status(app, '?appName=storage')).body.apps.storage.healthy === 3);
  t.is((await stateOf(app, first!))?.exitCode, null);
});

engineTest("running containers get CPU and memory from Docker's stats; a stopped one has none", async (t) => {
  const { value: running } = await within('CPU and memory of every replica', 5_000, async () => {
    const { body } = await status(app, '?appName=storage');
    const containers: any[] = body.containers;
    return containers.every((c) => c.resources?.cpuPercent != null) ? containers : undefined;
  });
  for (const container of running) {
    t.true(container.resources.memoryBytes > 1024 * 1024, `${container.name} uses some memory`);
    t.true(container.resources.memoryLimitBytes >= container.resources.memoryBytes);
    t.true(container.resources.cpuPercent >= 0 && container.resources.cpuPercent <= 200);
  }
  const replica = replicas[0]!;
  await replica.stop({ t: 5 });
  t.teardown(() => replica.start().catch(() => undefined));
  await within('exited', VISIBLE_WITHIN_MS, async () => (await stateOf(app, replica))?.state === 'exited');
  t.is((await stateOf(app, replica))?.resources, null);
  await replica.start();
  await within('running again', VISIBLE_WITHIN_MS, async () => (await stateOf(app, replica))?.state === 'running');
});

engineTest('a new labelled container appears, a removed one disappears', async (t) => {
  const added = await startLabelled('storage', 4);
  await within('new container in /status', VISIBLE_WITHIN_MS, async () => (await stateOf(app, added))?.state === 'running');
  await added.remove({ force: true });
  await within('removed container gone', VISIBLE_WITHIN_MS, async () => (await status(app, `?id=${added.id}`)).status === 404);
  t.is((await status(app, '?appName=storage')).body.containers.length, 3);
});

/** A stand-in for the daemon's socket that the test can take away and give back. */
function socketProxy(path: string) {
  const connections = new Set<Socket>();
  let server: Server | undefined;
  return {
    open: () =>
      new Promise<void>((resolve) => {
        server = createServer((client) => {
          const upstream = connect(SOCKET);
          for (const socket of [client, upstream]) {
            connections.add(socket);
            socket.on('close', () => connections.delete(socket));
            socket.on('error', () => undefined);
          }
          client.pipe(upstream).pipe(client);
        });
        server.listen(path, resolve);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        if (server) server.close(() => resolve());
        else resolve();
      }),
  };
}

engineTest('an unreachable daemon is a 503 within 1 s with the reason; the service recovers when it returns', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'status-docker-'));
  const path = join(dir, 'docker.sock');
  const proxy = socketProxy(path);
  const watched = await watchedApp(ownId, { socketPath: path });
  t.teardown(async () => {
    await watched.stop();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const missing = await within('503 with no socket', VISIBLE_WITHIN_MS, async () => (await status(watched)).status === 503);
  t.true(missing.value);
  const { body: noSocket } = await status(watched);
  t.like(noSocket, { type: 'urn:assembly:problem:docker-unreachable', lastKnown: null });
  t.regex(noSocket.detail, new RegExp(`no Docker socket at ${path}`));

  await proxy.open();
  await within('recovery once the socket exists', 8_000, async () => (await status(watched)).status === 200);
  t.is((await status(watched, '?appName=storage')).body.containers.length, 3);

  await proxy.close();
  await within('503 once the daemon is gone', VISIBLE_WITHIN_MS, async () => (await status(watched)).status === 503);
  const { body: lost } = await status(watched);
  t.is(lost.lastKnown.containers.length, 4, 'the last known view is kept');
  t.is(typeof lost.lastKnownAgeSeconds, 'number');

  await proxy.open();
  const { value: recovered } = await within('recovery once the daemon is back', 8_000, async () => {
      const { status: code, body } = await status(watched);
      return code === 200 ? body : undefined;
    });
  t.like(recovered.docker, { reachable: true, error: null });
  t.is(recovered.containers.length, 4);
});

engineTest('a kill becomes an incident in /status/history, ended when the container starts again; the history survives a restart of the service', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'status-history-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const historyPath = join(dir, 'history.sqlite');
  const watched = await watchedApp(ownId, { historyPath });
  const replica = await startLabelled('storage', 5);
  t.teardown(() => replica.remove({ force: true }).catch(() => undefined));
  const id = replica.id.slice(0, 12);
  const incidentsOf = async (from: RunningApp) => {
    const response = await fetch(`${from.url}/status/history?id=${id}`, { signal: AbortSignal.timeout(2_000) });
    return ((await response.json()) as { containers: Array<{ incidents: Array<Record<string, unknown>> }> }).containers[0]?.incidents;
  };
  // A container is down until it runs: the watcher may see this one while it is only created.
  const { value: before } = await within('the new replica in the history, up', 5_000, async () => {
    const incidents = await incidentsOf(watched);
    return incidents?.every((incident) => incident.to !== null) ? incidents : undefined;
  });

  await replica.kill();
  const { value: open } = await within('an open incident', 5_000, async () => (await incidentsOf(watched))?.find((incident) => incident.to === null));
  t.like(open, { state: 'killed', exitCode: 137, reason: 'killed by signal 9 (exit code 137)', to: null });
  await replica.start();
  const { value: incidents } = await within('the incident ended', 5_000, async () => {
    const incidents = await incidentsOf(watched);
    return incidents?.some((incident) => incident.from === open.from && incident.to !== null) ? incidents : undefined;
  });
  t.deepEqual(incidents.slice(0, before.length), before);
  const ended = incidents[before.length]!;
  t.like(ended, { from: open.from, state: 'killed' });
  t.true(Date.parse(ended.to as string) > Date.parse(ended.from as string));

  await watched.stop();
  const restarted = await watchedApp(ownId, { historyPath });
  t.teardown(() => restarted.stop());
  t.deepEqual(await incidentsOf(restarted), incidents);
});

engineTest('outside a container of a compose project (its id unknown to Docker) every project is watched', async (t) => {
  const everywhere = await watchedApp(`${PROJECT}-no-such-container`);
  t.teardown(() => everywhere.stop());
  const { value: names } = await within('the other project\'s replica in /status', 5_000, async () => {
    const { status: code, body } = await status(everywhere, '?appName=storage');
    const names: string[] = code === 200 ? body.containers.map((c: any) => c.name) : [];
    return names.includes(`${PROJECT}-other_storage_1`) ? names : undefined;
  });
  t.true(names.includes(`${PROJECT}_storage_1`));
});

browserTest('the status page renders the replicas in Chromium and updates live when one stops', async (t) => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 500 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${app.url}/`);
  await page.waitForSelector('#live.live-live', { timeout: 5_000 });
  t.is(await page.locator('tr[data-app="storage"]').count(), 3);
  const replica = replicas[2]!;
  const state = page.locator(`tr[data-id="${replica.id.slice(0, 12)}"] td.state`);
  t.is(await state.textContent(), 'running');

  await page.waitForSelector(`tr[data-id="${replica.id.slice(0, 12)}"] td.memory:not(:text("–"))`, { timeout: 5_000 });
  t.regex((await page.locator(`tr[data-id="${replica.id.slice(0, 12)}"] td.memory`).textContent()) ?? '', /^\d+\.\d MiB \/ \d+\.\d GiB$/);

  await replica.stop({ t: 5 });
  await page.waitForSelector(`tr[data-id="${replica.id.slice(0, 12)}"] td.state-exited`, { timeout: 5_000 });
  t.regex((await state.textContent()) ?? '', /^exited/);
  // The uptime table follows: an open incident, and a bar that ends down.
  await page.waitForSelector(`tr[data-uptime-id="${replica.id.slice(0, 12)}"] .incident-open`, { timeout: 5_000 });
  t.regex((await page.locator(`tr[data-uptime-id="${replica.id.slice(0, 12)}"] .incident-open`).textContent()) ?? '', /exited with code 0$/);
  t.regex((await page.locator('#summary').textContent()) ?? '', /storage 2\/3 healthy, 2 running/);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
  t.deepEqual(errors, []);
});
