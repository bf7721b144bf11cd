import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import test from 'ava';
import { ROOT } from 'testkit/compose-stack';
import { renderConfig } from '../../../prometheus/render-config.ts';

// Prometheus' configuration and rules checked by promtool from the Prometheus image itself
// (PROMETHEUS_IMAGE, default the official prom/prometheus:v2.53.3; without a registry, the stand-in of
// ../shared/airgap/prometheus-image.sh): the rendered configuration, the rules, and the rules' unit tests
// (prometheus/rules.test.yml), which must catch a wrong rule.

const IMAGE = process.env.PROMETHEUS_IMAGE ?? 'prom/prometheus:v2.53.3';
const PROMETHEUS_DIR = join(ROOT, 'prometheus');

/** promtool in the image, without a network, with `mounts` (host path → container path) read-only; exit code and output. */
async function promtool(mounts: Record<string, string>, args: string[]): Promise<{ code: number; output: string }> {
  const volumes = Object.entries(mounts).flatMap(([host, container]) => ['-v', `${host}:${container}:ro`]);
  return promisify(execFile)('docker', ['run', '--rm', '--network', 'none', ...volumes, '-w', '/rules', '--entrypoint', 'promtool', IMAGE, ...args], { timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, output: err.stdout + err.stderr }),
  );
}

/** A folder the image's user (nobody) can read, removed after the test. */
async function readableDir(t: { teardown: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-rules-'));
  await chmod(dir, 0o755);
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('promtool check config: the rendered configuration and the rule file it names are valid', async (t) => {
  const dir = await readableDir(t);
  const config = renderConfig(await readFile(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8'), { project: 'assembly-check', scrapeInterval: '15s' });
  await writeFile(join(dir, 'prometheus.yml'), config, { mode: 0o644 });
  // Where docker-compose.yml mounts them: prometheus/ at the path the configuration names the rules by.
  const { code, output } = await promtool(
    { [join(dir, 'prometheus.yml')]: '/run/prometheus-config/prometheus.yml', [PROMETHEUS_DIR]: '/etc/prometheus/assembly' },
    ['check', 'config', '/run/prometheus-config/prometheus.yml'],
  );
  t.is(code, 0, output);
  t.regex(output, /SUCCESS: 1 rule files found/);
  t.regex(output, /SUCCESS: \d+ rules found/);
});

test('promtool check rules and test rules: every rule valid, every alert shown firing and not firing', async (t) => {
  const checked = await promtool({ [PROMETHEUS_DIR]: '/rules' }, ['check', 'rules', 'rules.yml']);
  t.is(checked.code, 0, checked.output);
  t.regex(checked.output, /SUCCESS: 14 rules found/);
  const tested = await promtool({ [PROMETHEUS_DIR]: '/rules' }, ['test', 'rules', 'rules.test.yml']);
  t.is(tested.code, 0, tested.output);
  t.regex(tested.output, /SUCCESS/);
  // Every alert of rules.yml has a test case.
  const rules = await readFile(join(PROMETHEUS_DIR, 'rules.yml'), 'utf8');
  const tests = await readFile(join(PROMETHEUS_DIR, 'rules.test.yml'), 'utf8');
  const alerts = [...new Set([...rules.matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]))];
  t.true(alerts.length >= 6, alerts.join(', '));
  for (const alert of alerts) t.true(tests.includes(`alertname: ${alert}\n`), `rules.test.yml tests ${alert}`);
});

test('the unit tests catch a wrong rule: a threshold, a `for`, a label matcher changed', async (t) => {
  const original = await readFile(join(PROMETHEUS_DIR, 'rules.yml'), 'utf8');
  const mutations: Record<string, [string, string]> = {
    'the 5xx ratio threshold': ['app:http_server_requests_5xx:ratio_rate2m > 0.05', 'app:http_server_requests_5xx:ratio_rate2m > 0.5'],
    "the target's `for`": ['expr: up{job="assembly"} == 0\n        for: 1m', 'expr: up{job="assembly"} == 0\n        for: 5m'],
    'health checks counted': ['http_route!~"/healthz|/health|/unavailable/:appName", http_response_status_code', 'http_response_status_code'],
    'the internal entrypoint counted': ['entrypoint=~"web|websecure", code=~"5.."', 'code=~"5.."'],
  };
  for (const [what, [from, to]] of Object.entries(mutations)) {
    t.true(original.includes(from), `rules.yml has ${JSON.stringify(from)}`);
    const dir = await readableDir(t);
    await writeFile(join(dir, 'rules.yml'), original.replace(from, to), { mode: 0o644 });
    await copyFile(join(PROMETHEUS_DIR, 'rules.test.yml'), join(dir, 'rules.test.yml'));
    await chmod(join(dir, 'rules.test.yml'), 0o644);
    const { code, output } = await promtool({ [dir]: '/rules' }, ['test', 'rules', 'rules.test.yml']);
    t.not(code, 0, `${what}: promtool test rules passed a wrong rule:\n${output}`);
    t.regex(output, /FAILED/, what);
  }
});
