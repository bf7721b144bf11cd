import test from 'ava';
import { observe } from '../src/docker-watcher.ts';
import { observeTask } from '../src/task-status.ts';
import { event, IDS, inspectInfo, taskInfo, type TaskInit } from './fixtures.ts';
import { UptimeHistory } from '../src/uptime-history.ts';
import { startApp } from './helpers.ts';

test('the page lists every container, server-rendered, with links that keep the gateway prefix', async (t) => {
  const app = await startApp({ appEnv: 'development' });
  t.teardown(app.close);
  app.view.replaceAll([
    observe(inspectInfo({ id: IDS.storage1, number: 1, health: 'healthy' })),
    observe(inspectInfo({ id: IDS.storage2, number: 2, name: '<img src=x onerror=alert(1)>' })),
  ]);
  const response = await fetch(`${app.url}/`, { headers: { 'X-Forwarded-Prefix': '/statussvc' } });
  const html = await response.text();
  t.is(response.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is((html.match(/<tr data-id=/g) ?? []).length, 2);
  t.false(html.includes('<tr class="node"'), 'outside swarm mode the rows are not grouped');
  t.true(html.includes('&lt;img src=x onerror=alert(1)&gt;'), 'names from Docker are escaped');
  t.false(html.includes('<img src=x'));
  t.true(html.includes('<noscript><meta http-equiv="refresh" content="5"></noscript>'));
  t.true(html.includes('src="/statussvc/assets/status-page.js"'));
  t.true(html.includes('data-stream="/statussvc/status/stream"'));
  t.true(html.includes('href="/statussvc/swagger"'));
  t.false(/<script>(?!<\/script>)/.test(html), 'no inline script (the gateway sets a strict CSP)');
  for (const asset of ['status-page.js', 'status-view.js', 'status-page.css']) {
    t.is((await fetch(`${app.url}/assets/${asset}`)).status, 200, asset);
  }
  t.is((await fetch(`${app.url}/assets/nope.js`)).status, 404);
});

test('the page shows CPU and memory of each running container, and each one\'s uptime bar, availability and incidents', async (t) => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  const history = new UptimeHistory(':memory:', 7);
  const storage1 = { id: IDS.storage1.slice(0, 12), name: 'demo_storage_1', appName: 'storage' };
  const storage2 = { id: IDS.storage2.slice(0, 12), name: 'demo_storage_2', appName: 'storage' };
  history.observe([{ container: storage1, condition: { up: true } }, { container: storage2, condition: { up: true } }], now - 7 * 3_600_000);
  history.observe([{ container: storage2, condition: { up: false, state: 'killed', exitCode: 137, reason: 'killed by signal 9 (exit code 137)' } }], now - 30 * 60_000);
  const resources = { resourcesOf: (id: string) => (id === storage1.id ? { cpuPercent: 3.25, memoryBytes: 52_428_800, memoryLimitBytes: 2 * 1024 ** 3 } : null), onChange: () => {} };
  const app = await startApp({ history, resources, now: () => now });
  t.teardown(app.close);
  app.view.replaceAll([observe(inspectInfo({ id: IDS.storage1, number: 1 })), observe(inspectInfo({ id: IDS.storage2, number: 2, status: 'exited', exitCode: 137 }))]);
  const html = await (await fetch(`${app.url}/`)).text();
  const rowOf = (id: string) => html.match(new RegExp(`<tr data-id="${id}"[\\s\\S]*?</tr>`))?.[0] ?? '';
  t.regex(rowOf(storage1.id), /<td class="cpu">3\.3 %<\/td>\n<td class="memory">50\.0 MiB \/ 2\.0 GiB<\/td>/);
  t.regex(rowOf(storage2.id), /<td class="cpu">–<\/td>\n<td class="memory">–<\/td>/);

  const uptimeOf = (id: string) => html.match(new RegExp(`<tr data-uptime-id="${id}">[\\s\\S]*?</tr>`))?.[0] ?? '';
  // 6 hours in 36 bars of 10 minutes: storage1 up throughout; storage2 down for the last 3.
  t.is((uptimeOf(storage1.id).match(/slot-up/g) ?? []).length, 36);
  t.is((uptimeOf(storage2.id).match(/slot-up/g) ?? []).length, 33);
  t.is((uptimeOf(storage2.id).match(/slot-down/g) ?? []).length, 3);
  t.regex(uptimeOf(storage1.id), /<td class="availability">100\.00 %<\/td>/);
  t.regex(uptimeOf(storage2.id), /<td class="availability">91\.66 %<\/td>/);
  t.regex(uptimeOf(storage2.id), /<div class="incident incident-open">since <time datetime="2026-12-04T11:30:00.000Z">[^<]*<\/time>: killed by signal 9 \(exit code 137\)<\/div>/);
  t.true(html.includes('data-history="/status/history"'));
});

test('/status/stream sends the report at once and again after a change', async (t) => {
  const app = await startApp();
  t.teardown(app.close);
  app.view.replaceAll([observe(inspectInfo({ id: IDS.storage1, number: 1 }))]);
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const response = await fetch(`${app.url}/status/stream`, { signal: controller.signal });
  t.regex(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const reports: any[] = [];
  let buffered = '';
  const nextReport = async () => {
    for (;;) {
      const complete = buffered.indexOf('\n\n');
      if (complete >= 0) {
        const message = buffered.slice(0, complete);
        buffered = buffered.slice(complete + 2);
        const data = message.split('\n').find((line) => line.startsWith('data: '));
        if (data) return JSON.parse(data.slice(6));
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffered += value;
    }
  };
  reports.push(await nextReport());
  t.is(reports[0].containers[0].state, 'running');
  app.view.applyEvent(event(IDS.storage1, 'die', 1, { exitCode: '143' }));
  // A report of the listing may still be on its way; the change follows it.
  for (let i = 0; i < 3 && reports.at(-1).containers[0].state === 'running'; i++) reports.push(await nextReport());
  t.like(reports.at(-1).containers[0], { state: 'exited', exitCode: 143 });
  t.is(app.stream.clientCount, 1);
});

test('the page shows what decides routing: the gateway check where Docker has none, and apps never routed in a neutral style', async (t) => {
  const { renderRows } = await import('../public/status-view.js');
  const container = (appName: string, health: string, gateway: string | null) => ({
    id: `${appName}-${gateway}`, name: appName, appName, replica: 1, state: 'running', health, exitCode: null,
    startedAt: '2026-11-23T10:00:00.000Z', finishedAt: null,
    gateway: gateway && { status: gateway, service: null, url: null },
  });
  const html: string = renderRows({
    containers: [
      container('storage', 'none', 'UP'),
      container('storage', 'none', 'DOWN'),
      container('storage', 'none', 'NOT_ROUTED'),
      container('gateway', 'healthy', 'NOT_ROUTED'),
      container('docker-api', 'healthy', 'NOT_ROUTED'),
    ],
  } as any);
  const rows = html.split('</tr>');
  t.regex(rows[0]!, /class="health health-healthy"[^>]*>healthy \(gateway check\)/);
  t.regex(rows[1]!, /class="health health-unhealthy"[^>]*>unhealthy \(gateway check\)/);
  t.regex(rows[2]!, /class="gateway gateway-NOT_ROUTED">NOT ROUTED</, 'a replica the gateway does not route is a warning');
  for (const row of rows.slice(3, 5)) t.regex(row, /class="gateway gateway-by-design">not routed \(by design\)</);
});

test('in swarm mode the page groups the tasks by node, each group under a heading row, by app and slot within', async (t) => {
  const app = await startApp();
  t.teardown(app.close);
  const task = (init: TaskInit, node: string) => observeTask(taskInfo(init), `demo_${init.app ?? 'storage'}`, node)!;
  app.view.replaceAll([
    task({ id: 'storage2', slot: 2 }, 'worker-1'),
    task({ id: 'storage1', slot: 1 }, 'manager-1'),
    task({ id: 'status1', slot: 1, app: 'status' }, 'manager-1'),
    task({ id: 'storage3', slot: 3, desired: 'shutdown', state: 'failed', exitCode: 137 }, 'worker-1'),
    task({ id: 'storage4', slot: 4 }, '<b>odd</b>'),
  ]);
  const html = await (await fetch(`${app.url}/`)).text();
  // Each heading as its text, each task's row as its app and replica.
  const rows = [...html.matchAll(/<tr class="node" data-node="[^"]*"><th colspan="10">(.*?)<\/th><\/tr>|<tr data-id="[^"]*" data-app="([^"]*)">\n<td>[^<]*<\/td>\n<td>([^<]*)</g)].map(
    ([, heading, appName, replica]) => heading ?? `  ${appName} ${replica}`,
  );
  t.deepEqual(rows, [
    'Node &lt;b&gt;odd&lt;/b&gt; <span class="node-count">1 task, 1 running</span>',
    '  storage 4',
    'Node manager-1 <span class="node-count">2 tasks, 2 running</span>',
    '  status 1',
    '  storage 1',
    'Node worker-1 <span class="node-count">2 tasks, 1 running</span>',
    '  storage 2',
    '  storage 3',
  ]);
  t.false(/\sstyle=/.test(html), 'no inline style (the gateway sets a strict CSP)');
});
