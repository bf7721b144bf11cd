import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from 'testkit/compose-stack';
import { percentile, runLoad, type Outcome } from 'testkit/scheduled-load';
import { BenchStack, containerCpuNs, parseProcStat } from '../stack.ts';
import { round, spread } from '../suite/figures.ts';
import type { Section, SectionResult } from '../suite/section.ts';

// Latency through the gateway at fixed rates well below saturation, open loop: requests leave on a
// schedule whatever the answers do, and each latency counts from when its request was due, so a stall
// anywhere (gateway, replica, load generator) shows instead of being hidden by a waiting client.
// The same read three ways: straight at one replica, through Traefik at its container address, through
// Traefik on the published port (Docker's userland proxy in front). Production settings (.env), 3 replicas.
// `gateway-latency-bisect` reuses this file's runner to measure the gateway's configuration variants.

export const PATHS = ['direct', 'gateway', 'published'] as const;
export type PathId = (typeof PATHS)[number];

export const PATH_LABELS: Record<PathId, string> = {
  direct: 'straight to one replica',
  gateway: 'through Traefik (container address)',
  published: 'through Traefik (published port)',
};

/** The item the issue read: the same one for every request, so every path does the same work. */
export const ITEM = '/data/products/p-1001';

// Pure helpers (bench/test/gateway-latency.test.ts)

/** Nearest-rank percentile (testkit's) of unsorted values, left untouched; NaN when there are none. Pure. */
export function percentileOf(values: number[], p: number): number {
  return percentile([...values].sort((a, b) => a - b), p);
}

/** `min / median / max` in ms, one decimal (two below 1 ms). Pure. */
export function formatSpread(s: { min: number; median: number; max: number }): string {
  const ms = (v: number) => (Number.isNaN(v) ? '–' : v < 1 ? v.toFixed(2) : v.toFixed(1));
  return `${ms(s.min)} / ${ms(s.median)} / ${ms(s.max)}`;
}

export interface RunFigures {
  sent: number;
  failed: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** How late the load generator sent, against the schedule (its own stalls): p50, p99, p99.9, max. */
  late: { p50: number; p99: number; p999: number; max: number };
}

/** One run's figures from its outcomes; a request failed unless it was answered 200. Pure. */
export function runFigures(outcomes: Array<Pick<Outcome, 'latencyMs' | 'lateMs' | 'status'>>): RunFigures {
  const latencies = outcomes.map((o) => o.latencyMs);
  const late = outcomes.map((o) => o.lateMs ?? NaN).filter((v) => !Number.isNaN(v));
  return {
    sent: outcomes.length,
    failed: outcomes.filter((o) => o.status !== 200).length,
    p50: percentileOf(latencies, 50),
    p99: percentileOf(latencies, 99),
    p999: percentileOf(latencies, 99.9),
    max: percentileOf(latencies, 100),
    late: { p50: percentileOf(late, 50), p99: percentileOf(late, 99), p999: percentileOf(late, 99.9), max: percentileOf(late, 100) },
  };
}

/** A comma-separated middleware list without one entry; throws when it is not there. Pure. */
export function withoutMiddleware(list: string, name: string): string {
  const items = list.split(',').map((item) => item.trim());
  if (!items.includes(name)) throw new Error(`middleware ${name} is not in "${list}"`);
  return items.filter((item) => item !== name).join(',');
}

export type Edit = { remove: RegExp } | { replace: RegExp; with: string };

/** Applies text edits; each must match, so a variant never silently measures the unchanged file. Pure. */
export function applyEdits(text: string, edits: Edit[], what: string): string {
  let out = text;
  for (const edit of edits) {
    const pattern = 'remove' in edit ? edit.remove : edit.replace;
    pattern.lastIndex = 0;
    if (!pattern.test(out)) throw new Error(`${what}: nothing matches ${pattern}`);
    out = out.replace(pattern, 'remove' in edit ? '' : edit.with);
  }
  return out;
}

/** An edit removing the line of one label (or any `key: value` line) from docker-compose.yml's text. Pure. */
export function removeLine(key: string): Edit {
  return { remove: new RegExp(`^ +${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:.*\n`, 'm') };
}

/** The value of one label of the storage service in docker-compose.yml's text. Pure. */
export function storageLabel(composeText: string, key: string): string {
  const line = composeText.split('\n').find((l) => l.trim().startsWith(`${key}:`));
  if (!line) throw new Error(`docker-compose.yml has no label ${key}`);
  return line.slice(line.indexOf(':') + 1).trim().replace(/^"(.*)"$/, '$1');
}

// Configuration variants

/**
 * A variant of the gateway's configuration, applied without touching the repository's files: copies of
 * traefik/ in a temporary directory mounted instead, and a compose override (JSON is YAML) for the
 * gateway's environment and the storage labels.
 */
export interface Variant {
  id: string;
  /** What it changes against the repository's configuration. */
  change: string;
  /** What the change gives up or costs, beside its figure. */
  cost: string;
  /** Environment of the gateway container (Go runtime settings). */
  gatewayEnvironment?: Record<string, string>;
  /** Storage labels set to another value; a function gets docker-compose.yml's text (to edit the current value). */
  storageLabels?: Record<string, string | ((composeText: string) => string)>;
  /** Edits of a copy of docker-compose.yml used instead of it: what an override cannot do (remove a label, a healthcheck). */
  composeEdits?: Edit[];
  /** Edits of traefik/traefik.yml, the static configuration. */
  staticEdits?: Edit[];
  /** Files added to traefik/dynamic. */
  dynamicFiles?: Record<string, string>;
  /** Any other compose override per service (healthcheck, cpu_shares…), merged by compose. */
  services?: Record<string, Record<string, unknown>>;
  /** Path of the read through Traefik; default /storagesvc + ITEM. */
  gatewayPath?: string;
}

export const BASELINE: Variant = { id: 'baseline', change: 'the configuration in the repository', cost: '–' };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Several variants at once (their changes must not touch the same setting). Pure. */
export function combine(id: string, change: string, cost: string, ...variants: Variant[]): Variant {
  const services: Record<string, Record<string, unknown>> = {};
  // One level deeper than the service: a later variant's healthcheck interval keeps an earlier one's test.
  const merge = (a: Record<string, unknown> = {}, b: Record<string, unknown>) =>
    Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((key) => [key, isObject(a[key]) && isObject(b[key]) ? { ...a[key], ...b[key] } : key in b ? b[key] : a[key]]));
  for (const v of variants) for (const [name, entries] of Object.entries(v.services ?? {})) services[name] = merge(services[name], entries);
  const merged: Variant = {
    id,
    change,
    cost,
    gatewayEnvironment: Object.assign({}, ...variants.map((v) => v.gatewayEnvironment ?? {})),
    storageLabels: Object.assign({}, ...variants.map((v) => v.storageLabels ?? {})),
    composeEdits: variants.flatMap((v) => v.composeEdits ?? []),
    staticEdits: variants.flatMap((v) => v.staticEdits ?? []),
    dynamicFiles: Object.assign({}, ...variants.map((v) => v.dynamicFiles ?? {})),
    services,
    gatewayPath: variants.map((v) => v.gatewayPath).find(Boolean),
  };
  // Empty parts dropped: materialize then writes only what a change needs.
  for (const key of Object.keys(merged) as Array<keyof Variant>) {
    const value = merged[key];
    if (value === undefined || (Array.isArray(value) ? value.length === 0 : typeof value === 'object' && Object.keys(value).length === 0)) delete merged[key];
  }
  return merged;
}

/** Compose files and options that put a variant in place; `cleanup` removes the temporary directory. */
export async function materialize(variant: Variant): Promise<{ composeFile?: string; composeFiles: string[]; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `gateway-latency-${variant.id}-`));
  // The gateway runs as nobody: the copies must be readable by it.
  await chmod(dir, 0o755);
  const composeText = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
  const gateway: Record<string, unknown> = {};
  const volumes: string[] = [];
  if (variant.staticEdits) {
    const text = applyEdits(await readFile(join(ROOT, 'traefik/traefik.yml'), 'utf8'), variant.staticEdits, `${variant.id}: traefik.yml`);
    await writeFile(join(dir, 'traefik.yml'), text, { mode: 0o644 });
    volumes.push(`${join(dir, 'traefik.yml')}:/etc/traefik/traefik.yml:ro`);
  }
  if (variant.dynamicFiles) {
    const dynamic = join(dir, 'dynamic');
    await mkdir(dynamic, { mode: 0o755 });
    for (const file of await readdir(join(ROOT, 'traefik/dynamic'))) await copyFile(join(ROOT, 'traefik/dynamic', file), join(dynamic, file));
    for (const [file, text] of Object.entries(variant.dynamicFiles)) await writeFile(join(dynamic, file), text);
    for (const file of await readdir(dynamic)) await chmod(join(dynamic, file), 0o644);
    volumes.push(`${dynamic}:/etc/traefik/dynamic:ro`);
  }
  if (volumes.length) gateway.volumes = volumes;
  if (variant.gatewayEnvironment) gateway.environment = variant.gatewayEnvironment;
  const services: Record<string, Record<string, unknown>> = {};
  if (Object.keys(gateway).length) services.gateway = gateway;
  if (variant.storageLabels) {
    services.storage = {
      labels: Object.fromEntries(Object.entries(variant.storageLabels).map(([key, value]) => [key, typeof value === 'function' ? value(composeText) : value])),
    };
  }
  for (const [service, entries] of Object.entries(variant.services ?? {})) services[service] = { ...services[service], ...entries };
  const composeFiles: string[] = [];
  if (Object.keys(services).length) {
    const override = join(dir, 'compose.override.json');
    await writeFile(override, JSON.stringify({ services }, null, 2));
    composeFiles.push(override);
  }
  let composeFile: string | undefined;
  if (variant.composeEdits) {
    composeFile = join(dir, 'docker-compose.yml');
    await writeFile(composeFile, applyEdits(composeText, variant.composeEdits, `${variant.id}: docker-compose.yml`));
  }
  return { composeFile, composeFiles, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

// Measuring

export interface Settings {
  rates: number[];
  paths: PathId[];
  rounds: number;
  seconds: number;
}

function envList(name: string): string[] | null {
  const value = process.env[name]?.trim();
  return value ? value.split(',').map((v) => v.trim()).filter(Boolean) : null;
}

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] || fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got "${process.env[name]}")`);
  return value;
}

/** GATEWAY_LATENCY_SECONDS (15), _ROUNDS (3): the issue's runs; ≥ 15 s at 100 req/s gives 1,500 samples for p99.9. */
export function settingsFromEnv(defaults: Partial<Settings> = {}): Settings {
  const paths = (envList('GATEWAY_LATENCY_PATHS') ?? defaults.paths ?? [...PATHS]) as PathId[];
  for (const path of paths) if (!PATHS.includes(path)) throw new Error(`GATEWAY_LATENCY_PATHS: unknown path ${path} (${PATHS.join(', ')})`);
  return {
    rates: envList('GATEWAY_LATENCY_RATES')?.map(Number) ?? defaults.rates ?? [100, 250, 500],
    paths,
    rounds: envNumber('GATEWAY_LATENCY_ROUNDS', defaults.rounds ?? 3),
    seconds: envNumber('GATEWAY_LATENCY_SECONDS', defaults.seconds ?? 15),
  };
}

/** Extra compose files for every stack (GATEWAY_LATENCY_COMPOSE_FILES, colon-separated), e.g. to build the services from a snapshot. */
export function extraComposeFiles(): string[] {
  return (process.env.GATEWAY_LATENCY_COMPOSE_FILES ?? '').split(':').filter(Boolean);
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/**
 * Waits (polling every 30 s, up to GATEWAY_LATENCY_QUIET_WAIT_S, default 1200) until the 1-minute load
 * average is below GATEWAY_LATENCY_QUIET (default 1.0): the machine is shared. Returns the load it started at.
 */
export async function waitForQuiet(what: string): Promise<{ load: number; waitedS: number }> {
  const limit = envNumber('GATEWAY_LATENCY_QUIET', 1.0);
  const maxWaitS = Number(process.env.GATEWAY_LATENCY_QUIET_WAIT_S ?? 1200);
  const started = performance.now();
  for (;;) {
    const load = loadavg()[0]!;
    const waitedS = (performance.now() - started) / 1000;
    if (load < limit) return { load, waitedS };
    if (waitedS >= maxWaitS) {
      log(`${what}: load average ${load.toFixed(2)} still ≥ ${limit} after ${Math.round(waitedS)} s; measuring anyway`);
      return { load, waitedS };
    }
    log(`${what}: load average ${load.toFixed(2)} ≥ ${limit}; waiting (${Math.round(waitedS)} s so far)`);
    await sleep(30_000);
  }
}

/** Whose a process is, for the CPU accounting of a run. */
export type Owner = 'stack' | 'sender' | 'docker' | 'kernel' | 'other';

/** The Docker Engine's own processes (log shipping, exec of healthchecks, the published port's proxy). */
const DOCKER_COMMS = new Set(['dockerd', 'containerd', 'containerd-shim', 'docker-proxy', 'runc', 'runc:[2:INIT]']);

/**
 * One line of /proc/<pid>/stat → its command, parent and CPU time in clock ticks, its own and its reaped
 * children's (so a short-lived process counts through whoever waited for it). Pure.
 */
export function parsePidStat(text: string): { comm: string; ppid: number; ticks: number } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const fields = text.slice(close + 2).split(' ');
  const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number);
  if ([ppid, utime, stime, cutime, cstime].some((v) => v === undefined || !Number.isFinite(v))) return null;
  return { comm: text.slice(open + 1, close), ppid: ppid!, ticks: utime! + stime! + cutime! + cstime! };
}

/** Whose a process is: in one of the stack's containers (its cgroup names the id), this process or its child, Docker's, the kernel's, or someone else's. Pure. */
export function ownerOf(pid: number, proc: { comm: string; ppid: number }, cgroup: string, containerIds: string[], self: number): Owner {
  if (pid === self || proc.ppid === self) return 'sender';
  if (containerIds.some((id) => cgroup.includes(id))) return 'stack';
  if (DOCKER_COMMS.has(proc.comm)) return 'docker';
  if (pid === 2 || proc.ppid === 2) return 'kernel';
  return 'other';
}

async function processTicks(containerIds: string[]): Promise<Map<number, { owner: Owner; ticks: number }>> {
  const procs = new Map<number, { owner: Owner; ticks: number; comm: string; ppid: number }>();
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).map(Number);
  await Promise.all(
    pids.map(async (pid) => {
      const [stat, cgroup] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''), readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')]);
      const proc = parsePidStat(stat);
      if (proc) procs.set(pid, { ...proc, owner: ownerOf(pid, proc, cgroup, containerIds, process.pid) });
    }),
  );
  // A containerd-shim serves one container: only the stack's own (parents of its containers' processes)
  // are this run's Docker work; another project's shim (its log lines, its healthchecks) is someone else's.
  const ownShims = new Set([...procs.values()].filter((p) => p.owner === 'stack').map((p) => p.ppid));
  for (const [pid, proc] of procs) if (proc.comm === 'containerd-shim' && !ownShims.has(pid)) proc.owner = 'other';
  return new Map([...procs].map(([pid, { owner, ticks }]) => [pid, { owner, ticks }]));
}

interface CpuReading {
  at: number;
  machine: { busy: number; total: number } | null;
  stackNs: number[];
  sender: NodeJS.CpuUsage;
  processes: Map<number, { owner: Owner; ticks: number }>;
}

async function cpuReading(containerIds: string[]): Promise<CpuReading> {
  const [machine, stackNs, processes] = await Promise.all([
    readFile('/proc/stat', 'utf8').then(parseProcStat, () => null),
    Promise.all(containerIds.map(async (id) => (await containerCpuNs(id)) ?? NaN)),
    processTicks(containerIds),
  ]);
  return { at: performance.now(), machine, stackNs, sender: process.cpuUsage(), processes };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ): 100 on Linux. */
const TICKS_PER_S = 100;

/**
 * CPU between two readings, in % of one core (200 % = both cores of a 2-core machine): the whole machine,
 * the stack's containers (their cgroups: the Node healthchecks run inside them), the load generator (this
 * process), the Docker Engine (log shipping, healthcheck execs, the userland proxy), and `foreign`: every
 * other process's, counted process by process (a process started during the run counts whole). Pure.
 */
export function cpuBetween(a: CpuReading, b: CpuReading, cores: number) {
  const wallMs = b.at - a.at;
  const machine = a.machine && b.machine && b.machine.total > a.machine.total ? ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * cores * 100 : NaN;
  const stack = (b.stackNs.reduce((n, v, i) => n + (v - a.stackNs[i]!), 0) / 1e6 / wallMs) * 100;
  const sender = ((b.sender.user - a.sender.user + b.sender.system - a.sender.system) / 1000 / wallMs) * 100;
  const ticks: Record<Owner, number> = { stack: 0, sender: 0, docker: 0, kernel: 0, other: 0 };
  for (const [pid, after] of b.processes) ticks[after.owner] += Math.max(0, after.ticks - (a.processes.get(pid)?.ticks ?? 0));
  const pct = (t: number) => ((t / TICKS_PER_S) * 1000 * 100) / wallMs;
  return { machine, stack, sender, docker: pct(ticks.docker), foreign: pct(ticks.other) };
}

export interface Run extends RunFigures {
  variant: string;
  rate: number;
  path: PathId;
  round: number;
  /** 1-minute load average when the run started and ended (the run's own load included). */
  loadStart: number;
  loadEnd: number;
  /** CPU during the run, % of one core: the whole machine, the stack, the load generator, the Docker Engine, everyone else. */
  machineCpu: number;
  stackCpu: number;
  senderCpu: number;
  dockerCpu: number;
  foreignCpu: number;
  /** Kept although others' jobs took more than the limit: no quiet moment came within the retries. */
  disturbed?: boolean;
}

const CORES = availableParallelism();

/** One open-loop run at `rate` for `seconds` against `url`, with the CPU of everyone during it. */
async function measureRun(url: string, rate: number, seconds: number, containerIds: string[]) {
  const loadStart = loadavg()[0]!;
  const before = await cpuReading(containerIds);
  const result = await runLoad({ url, rate, durationMs: seconds * 1000, timeoutMs: 2000 });
  const cpu = cpuBetween(before, await cpuReading(containerIds), CORES);
  return {
    ...runFigures(result.outcomes),
    loadStart,
    loadEnd: loadavg()[0]!,
    machineCpu: cpu.machine,
    stackCpu: cpu.stack,
    senderCpu: cpu.sender,
    dockerCpu: cpu.docker,
    foreignCpu: cpu.foreign,
  };
}

/**
 * A run during which others' jobs took more than GATEWAY_LATENCY_FOREIGN_CPU % of one core (default 20)
 * is discarded and repeated after a pause, up to GATEWAY_LATENCY_RETRIES times (default 8); then kept,
 * marked `disturbed`. Discarded runs stay in the result's data.
 */
const FOREIGN_LIMIT = () => envNumber('GATEWAY_LATENCY_FOREIGN_CPU', 20);
const RETRIES = () => Number(process.env.GATEWAY_LATENCY_RETRIES ?? 8);
export const discarded: Run[] = [];

/**
 * One stack with `variant`, then `rounds` rounds of every rate × path (paths rotated each round, so none
 * always goes first). Returns every run. Production settings of .env, 3 replicas, the rate limit lifted
 * (the middleware stays in the chain; a limit of 300/s would answer 429 at 500 req/s).
 */
export async function measureVariant(variant: Variant, settings: Settings, roundsToRun: number[] = []): Promise<Run[]> {
  const { composeFile, composeFiles, cleanup } = await materialize(variant);
  try {
    return await BenchStack.with(
      3,
      async (stack) => {
        const [replica] = await stack.replicas();
        if (!replica) throw new Error('gateway-latency: no storage replica running');
        const urls: Record<PathId, string> = {
          direct: `http://${replica.ip}:3000${ITEM}`,
          gateway: `${await stack.gatewayUrl()}${variant.gatewayPath ?? `/storagesvc${ITEM}`}`,
          published: `${stack.baseUrl}${variant.gatewayPath ?? `/storagesvc${ITEM}`}`,
        };
        // Warm-up, not counted: connections opened, every path answering 200 before any measurement.
        for (const path of settings.paths) {
          const warm = await runLoad({ url: urls[path], rate: 100, durationMs: 3000, timeoutMs: 2000 });
          if (warm.failed) throw new Error(`gateway-latency: ${variant.id}: ${warm.failed} of ${warm.sent} warm-up requests to ${urls[path]} failed (first: ${JSON.stringify(warm.failures[0])})`);
        }
        const containerIds = (await stack.containers()).map((c) => c.id);
        const runs: Run[] = [];
        const rounds = roundsToRun.length ? roundsToRun : Array.from({ length: settings.rounds }, (_, i) => i + 1);
        for (const rate of settings.rates) {
          for (const round of rounds) {
            const order = settings.paths.map((_, i) => settings.paths[(i + round - 1) % settings.paths.length]!);
            for (const path of order) {
              for (let attempt = 0; ; attempt++) {
                await sleep(1000);
                const run: Run = { variant: variant.id, rate, path, round, ...(await measureRun(urls[path], rate, settings.seconds, containerIds)) };
                const disturbed = run.foreignCpu > FOREIGN_LIMIT();
                log(
                  `gateway-latency: ${variant.id} ${rate}/s round ${round} ${path}: p50 ${run.p50.toFixed(2)} p99 ${run.p99.toFixed(2)} ` +
                    `p99.9 ${run.p999.toFixed(2)} max ${run.max.toFixed(1)} ms; sender late p99 ${run.late.p99.toFixed(2)} ms; failed ${run.failed}/${run.sent}; ` +
                    `load ${run.loadStart.toFixed(2)}→${run.loadEnd.toFixed(2)}; CPU % machine ${Math.round(run.machineCpu)}, stack ${Math.round(run.stackCpu)}, ` +
                    `sender ${Math.round(run.senderCpu)}, docker ${Math.round(run.dockerCpu)}, foreign ${Math.round(run.foreignCpu)}${disturbed ? ` > ${FOREIGN_LIMIT()}: ${attempt < RETRIES() ? 'repeated' : 'kept, disturbed'}` : ''}`,
                );
                if (!disturbed) {
                  runs.push(run);
                  break;
                }
                if (attempt >= RETRIES()) {
                  runs.push({ ...run, disturbed: true });
                  break;
                }
                discarded.push(run);
                await sleep(20_000);
              }
            }
          }
        }
        return runs;
      },
      { production: true, composeFile, composeFiles: [...extraComposeFiles(), ...composeFiles] },
    );
  } finally {
    await cleanup();
  }
}

export type Metric = 'p50' | 'p99' | 'p999';
export const METRIC_LABELS: Record<Metric, string> = { p50: 'p50', p99: 'p99', p999: 'p99.9' };

/** min/median/max over the runs of one variant, rate and path. Pure. */
export function summarize(runs: Run[], variant: string, rate: number, path: PathId) {
  const own = runs.filter((r) => r.variant === variant && r.rate === rate && r.path === path);
  return {
    runs: own.length,
    sent: own.reduce((n, r) => n + r.sent, 0),
    failed: own.reduce((n, r) => n + r.failed, 0),
    p50: spread(own.map((r) => r.p50)),
    p99: spread(own.map((r) => r.p99)),
    p999: spread(own.map((r) => r.p999)),
    lateP99: spread(own.map((r) => r.late.p99)),
    lateP999: spread(own.map((r) => r.late.p999)),
    machineCpu: spread(own.map((r) => r.machineCpu)),
    stackCpu: spread(own.map((r) => r.stackCpu)),
    dockerCpu: spread(own.map((r) => r.dockerCpu)),
    senderCpu: spread(own.map((r) => r.senderCpu)),
    foreignCpu: spread(own.map((r) => r.foreignCpu)),
    disturbed: own.filter((r) => r.disturbed).length,
  };
}

/** What a path adds over direct at one percentile: the difference of the medians of their runs. Pure. */
export function added(runs: Run[], variant: string, rate: number, path: PathId, metric: Metric): number {
  return summarize(runs, variant, rate, path)[metric].median - summarize(runs, variant, rate, 'direct')[metric].median;
}

export function loadRange(runs: Run[]): { min: number; max: number } {
  const loads = runs.flatMap((r) => [r.loadStart, r.loadEnd]);
  return { min: Math.min(...loads), max: Math.max(...loads) };
}

// The section: the configuration before issue #12 and the repository's, back to back

/**
 * The gateway as it was when issue #12 was measured, for the before/after comparison: what this
 * section's findings changed, put back. Keep it in step with the changes it reverts.
 */
const FETCH_PROBE = "fetch('http://127.0.0.1:3000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))";
export const BEFORE: Variant = {
  id: 'before',
  change: 'the gateway as measured in issue #12',
  cost: '–',
  staticEdits: [{ remove: /^ +bufferingSize: 100\n/m }],
  // The replicas' Docker healthcheck put back (an override cannot: compose refuses `disable` with a test).
  composeEdits: [
    {
      replace: /^ {4}healthcheck:\n {6}disable: true\n/m,
      with: `    healthcheck:\n      test: ${JSON.stringify(['CMD', 'node', '-e', FETCH_PROBE])}\n      interval: 2s\n      timeout: 2s\n      retries: 3\n      start_period: 15s\n`,
    },
  ],
  services: {
    // A line per read at the replicas too, as before the gateway's access log carried the request id.
    storage: { environment: { LOG_LEVEL: 'debug' } },
    status: { healthcheck: { test: ['CMD', 'node', '-e', FETCH_PROBE], interval: '2s' } },
    // 1024: Docker's default CPU weight.
    gateway: { cpu_shares: 1024, healthcheck: { interval: '5s' } },
    'docker-api': { healthcheck: { interval: '5s' } },
  },
};

const CONFIGS = (): Variant[] => [BEFORE, BASELINE];

export const section: Section = {
  id: 'gateway-latency',
  title: 'Gateway latency at fixed rates below saturation (open loop)',
  async run() {
    const settings = settingsFromEnv();
    const quiet = await waitForQuiet('gateway-latency');
    const configs = CONFIGS();
    const runs: Run[] = [];
    // Round by round, the configurations alternate (a stack each time), so drift hits both alike.
    for (let round = 1; round <= settings.rounds; round++) {
      const order = round % 2 ? configs : [...configs].reverse();
      for (const config of order) runs.push(...(await measureVariant(config, settings, [round])));
    }
    return report(runs, settings, configs, quiet);
  },
};

function report(runs: Run[], settings: Settings, configs: Variant[], quiet: { load: number; waitedS: number }): Omit<SectionResult, 'id' | 'title' | 'measuredAt' | 'command' | 'environment'> {
  const label = (config: Variant) => (config.id === 'baseline' ? 'after' : config.id);
  const table = [['config', 'rate', 'path', 'p50 ms', 'p99 ms', 'p99.9 ms', 'sender late p99 ms', 'failed']];
  for (const config of configs) {
    for (const rate of settings.rates) {
      for (const path of settings.paths) {
        const s = summarize(runs, config.id, rate, path);
        table.push([label(config), `${rate}/s`, PATH_LABELS[path], formatSpread(s.p50), formatSpread(s.p99), formatSpread(s.p999), formatSpread(s.lateP99), `${s.failed} of ${s.sent}`]);
      }
    }
  }
  const after = BASELINE.id;
  const bars: SectionResult['chart']['bars'] = [];
  for (const rate of settings.rates) {
    for (const metric of ['p50', 'p99', 'p999'] as const) {
      for (const path of settings.paths) {
        const s = summarize(runs, after, rate, path)[metric];
        bars.push({ label: `${rate}/s ${METRIC_LABELS[metric]}`, series: PATH_LABELS[path], value: round(s.median, 2), min: round(s.min, 2), max: round(s.max, 2) });
      }
    }
  }
  const loads = loadRange(runs);
  const at = (variant: string, path: PathId, metric: Metric, rate = 250) => round(added(runs, variant, rate, path, metric), 1);
  const explanation = explain(runs, settings, loads, quiet, at);
  return {
    table,
    explanation,
    chart: {
      title: 'Latency at fixed rates, 3 replicas, production settings (bar: median of runs; line: min–max)',
      yTitle: 'ms (log scale)',
      yScale: 'log',
      bars,
    },
    data: { settings, configs, quiet, loads, composeFiles: extraComposeFiles(), runs, discarded },
  };
}

function explain(
  runs: Run[],
  settings: Settings,
  loads: { min: number; max: number },
  quiet: { load: number; waitedS: number },
  at: (variant: string, path: PathId, metric: Metric, rate?: number) => number,
): string {
  const s = (variant: string, path: PathId, rate = 250) => summarize(runs, variant, rate, path);
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  return (
    `At 250 req/s Traefik at its container address added ${at('before', 'gateway', 'p99')} ms at p99 before and ${at('baseline', 'gateway', 'p99')} ms after ` +
    `(p99 median of runs: direct ${s('baseline', 'direct').p99.median.toFixed(1)} ms, gateway ${s('baseline', 'gateway').p99.median.toFixed(1)} ms), ` +
    `and the published port ${at('before', 'published', 'p99')} → ${at('baseline', 'published', 'p99')} ms. ` +
    `Each figure is min / median / max of ${settings.rounds} runs of ${settings.seconds} s per rate and path, open loop (latency from when each request was due), ` +
    `3 replicas with the production settings of .env, the rate limit lifted (its middleware still runs); the sender's own lateness is in its column. ` +
    `Load average ${loads.min.toFixed(2)}–${loads.max.toFixed(2)} during the runs (${quiet.load.toFixed(2)} before the first).` +
    (failed ? ` ${failed} requests failed.` : '')
  );
}
