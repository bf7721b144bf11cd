import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ROOT, Stack } from 'testkit/compose-stack';
import { within } from 'testkit/poll';

const exec = promisify(execFile);

/** The benchmarks' compose project: never the e2e suite's (assembly-e2e) nor the dev stack's (assembly-dev). */
export const BENCH_PROJECT = process.env.BENCH_PROJECT ?? 'assembly-bench';

export interface Replica {
  id: string;
  name: string;
  /** Its address on the compose network; reachable from the host, not published. */
  ip: string;
}

/** Where no registry is reachable, the air-gapped base images, when present and not set already. */
export function imageDefaults(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const local = [['NODE_IMAGE', 'local/node:24'], ['TRAEFIK_IMAGE', 'local/traefik:v3.7'], ['HAPROXY_IMAGE', 'local/haproxy:3.0']] as const;
  for (const [name, image] of local) {
    if (process.env[name]) continue;
    try {
      execFileSync('docker', ['image', 'inspect', image], { stdio: 'ignore' });
      env[name] = image;
    } catch {
      // Left to .env.dev.
    }
  }
  return env;
}

/** How a BenchStack differs from the default (.env.dev settings, docker-compose.yml alone). */
export interface BenchStackOptions {
  /**
   * The production settings of .env for the services (APP_ENV=production, FAULTS_ENABLED=false,
   * LOG_LEVEL=info) instead of .env.dev's. The rate limit stays lifted either way.
   */
  production?: boolean;
  /**
   * A copy of docker-compose.yml to use instead of it (e.g. with a label removed, which an override
   * cannot do); its relative paths resolve against the repository root (--project-directory).
   */
  composeFile?: string;
  /** Compose files layered over docker-compose.yml (`-f` each, in order), e.g. a gateway configuration variant. */
  composeFiles?: string[];
  /** More environment for compose, over the bench's own (e.g. GATEWAY_RATE_AVERAGE to put a limit back). */
  env?: NodeJS.ProcessEnv;
}

/** The production settings of .env that differ from .env.dev's (the services read them from the environment). */
export const PRODUCTION_ENV = { APP_ENV: 'production', FAULTS_ENABLED: 'false', LOG_LEVEL: 'info' } as const;

/**
 * The assembly as the benchmarks run it: docker-compose.yml with .env.dev (through testkit's Stack),
 * under the project assembly-bench on a free port of 127.0.0.1, with the gateway's per-client rate limit
 * lifted (else the load measures 429s) and info-level logs (the production default; .env.dev says debug).
 * `production: true` takes .env's service settings instead; `composeFiles` layers variants over the file.
 */
export class BenchStack {
  readonly stack: Stack;
  readonly #composeFile: string | undefined;
  readonly #composeFiles: string[];

  private constructor(stack: Stack, options: BenchStackOptions = {}) {
    this.stack = stack;
    this.#composeFile = options.composeFile;
    this.#composeFiles = options.composeFiles ?? [];
  }

  get baseUrl(): string {
    return this.stack.baseUrl;
  }

  /** Brings the assembly up with `replicas` storage replicas and waits until the gateway routes to all of them. */
  static async up(replicas: number, options: BenchStackOptions = {}): Promise<BenchStack> {
    const stack = await Stack.create({
      project: BENCH_PROJECT,
      env: {
        ...imageDefaults(),
        STORAGE_REPLICAS: String(replicas),
        GATEWAY_RATE_AVERAGE: '1000000',
        GATEWAY_RATE_BURST: '1000000',
        LOG_LEVEL: 'info',
        ...(options.production ? PRODUCTION_ENV : {}),
        ...options.env,
      },
    });
    const bench = new BenchStack(stack, options);
    process.once('SIGINT', bench.#onSignal);
    process.once('SIGTERM', bench.#onSignal);
    try {
      await bench.compose(['down', '-v', '--remove-orphans', '--timeout', '5']); // leftovers of an interrupted run
      await bench.compose(['up', '-d', '--build']);
      await bench.waitRouted(replicas);
    } catch (err) {
      await bench.down();
      throw err;
    }
    return bench;
  }

  /** Runs `fn` with a stack of `replicas` replicas, and always takes it down afterwards. */
  static async with<T>(replicas: number, fn: (stack: BenchStack) => Promise<T>, options: BenchStackOptions = {}): Promise<T> {
    const bench = await BenchStack.up(replicas, options);
    try {
      return await fn(bench);
    } finally {
      await bench.down();
    }
  }

  /** docker-compose on this stack, with its compose files (testkit's Stack.compose has only docker-compose.yml). */
  async compose(args: string[], timeoutMs = 600_000): Promise<string> {
    const [command, full] = this.stack.composeArgs([...this.#composeFiles.flatMap((file) => ['-f', file]), ...args]);
    if (this.#composeFile) {
      const at = full.findIndex((arg, i) => arg === 'docker-compose.yml' && full[i - 1] === '-f');
      if (at < 0) throw new Error('bench stack: no `-f docker-compose.yml` to replace');
      full.splice(at - 1, 2, '--project-directory', ROOT, '-f', this.#composeFile);
    }
    const { stdout } = await exec(command, full, { cwd: ROOT, env: this.stack.env, timeout: timeoutMs, maxBuffer: 64 << 20 });
    return stdout;
  }

  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.stack.downSync();
    process.kill(process.pid, signal);
  };

  async down(): Promise<void> {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    await this.compose(['down', '-v', '--remove-orphans', '--timeout', '5']).catch(() => this.stack.downSync());
  }

  /** `up -d --scale storage=N` on the running stack (existing containers are kept), then waits for routing. */
  async scale(replicas: number): Promise<void> {
    await this.compose(['up', '-d', '--no-build', '--no-recreate', '--scale', `storage=${replicas}`]);
    await this.waitRouted(replicas);
  }

  /** The running storage replicas, with their addresses. */
  async replicas(): Promise<Replica[]> {
    return this.running('storage');
  }

  /** The gateway's address on the compose network: Traefik without Docker's port publishing in front. */
  async gatewayUrl(): Promise<string> {
    const [gateway] = await this.running('gateway');
    if (!gateway) throw new Error('bench stack: the gateway is not running');
    return `http://${gateway.ip}:8080`;
  }

  /** The running containers of one app (assembly.app), with their addresses. */
  private async running(app: string): Promise<Replica[]> {
    const containers = await this.stack.containers(app);
    if (!containers.length) return [];
    const { stdout } = await exec('docker', [
      'inspect', '--format', '{{.Id}}\t{{.State.Running}}\t{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', ...containers.map((c) => c.id),
    ]);
    const running = new Map(
      stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t'))
        .filter(([, isRunning]) => isRunning === 'true')
        .map(([id = '', , ips = '']) => [id, ips.trim().split(' ')[0] ?? ''] as const),
    );
    return containers.filter((c) => running.has(c.id)).map((c) => ({ id: c.id, name: c.name, ip: running.get(c.id)! }));
  }

  /** Every container of the stack by name (gateway, status, storage…). */
  async containers(): Promise<Array<{ id: string; name: string; app: string }>> {
    return this.stack.containers();
  }

  /**
   * Until the status service reports `replicas` storage containers running and healthy and the gateway
   * has every one UP (the status view reads Traefik's API), and a read through the gateway answers.
   */
  async waitRouted(replicas: number, timeoutMs = 120_000): Promise<void> {
    await within(`bench stack: ${replicas} storage replicas routed`, timeoutMs, async () => {
      const response = await fetch(this.stack.url('/statussvc/status?appName=storage'), { signal: AbortSignal.timeout(2000) });
      const report = (await response.json()) as { containers?: Array<{ state: string; health: string; gateway: { status: string } | null }> };
      const running = (report.containers ?? []).filter((c) => c.state === 'running');
      // `none`: a variant without Docker's healthcheck (Traefik then routes to a container once it runs).
      const up = running.filter((c) => (c.health === 'healthy' || c.health === 'none') && c.gateway?.status === 'UP');
      if (running.length !== replicas || up.length !== replicas) throw new Error(`${running.length} running, ${up.length} healthy and UP in the gateway`);
      const read = await fetch(this.stack.url('/storagesvc/data'), { signal: AbortSignal.timeout(2000) });
      if (!read.ok) throw new Error(`GET /storagesvc/data answered ${read.status}`);
      return true;
    }, { intervalMs: 250 });
  }
}

// CPU use

/** Cumulative CPU time of a container (ns), from its cgroup (v1 cpuacct or v2 cpu.stat); null where it cannot be read. */
export async function containerCpuNs(id: string): Promise<number | null> {
  const candidates: Array<[string, (text: string) => number | null]> = [
    [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, parseCpuacctUsage],
    [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, parseCpuStat],
    [`/sys/fs/cgroup/docker/${id}/cpu.stat`, parseCpuStat],
  ];
  for (const [path, parse] of candidates) {
    const text = await readFile(path, 'utf8').catch(() => null);
    if (text !== null) return parse(text);
  }
  return null;
}

/** cgroup v1 `cpuacct.usage`: nanoseconds. Pure. */
export function parseCpuacctUsage(text: string): number | null {
  const value = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(value) ? value : null;
}

/** cgroup v2 `cpu.stat`: `usage_usec N` → nanoseconds. Pure. */
export function parseCpuStat(text: string): number | null {
  const match = /^usage_usec (\d+)$/m.exec(text);
  return match ? Number(match[1]) * 1000 : null;
}

/** `docker stats --format '{{.Name}} {{.CPUPerc}}'` lines → CPU % by name (of one core, as Docker reports). Pure. */
export function parseDockerStats(text: string): Record<string, number> {
  const cpu: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(\S+)\s+([\d.]+)%\s*$/.exec(line.trim());
    if (match) cpu[match[1]!] = Number(match[2]);
  }
  return cpu;
}

/** The `cpu` line of /proc/stat → busy and total jiffies over all cores (idle and iowait are not busy). Pure. */
export function parseProcStat(text: string): { busy: number; total: number } | null {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l));
  if (!line) return null;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 5 || fields.some((v) => !Number.isFinite(v))) return null;
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

async function machineCpu(): Promise<{ busy: number; total: number } | null> {
  return parseProcStat(await readFile('/proc/stat', 'utf8').catch(() => ''));
}

/** CPU % of one core from two cumulative readings (ns) over a wall time (ms). Pure. */
export function cpuPercent(startNs: number, endNs: number, wallMs: number): number {
  return wallMs > 0 ? ((endNs - startNs) / 1e6 / wallMs) * 100 : 0;
}

/**
 * CPU use of some containers and of this process (the load generator) while `work` runs, in % of one
 * core (200 % is both cores of a 2-core machine), and of the whole machine (/proc/stat). Containers: cgroup CPU time deltas over the whole
 * window; where the cgroup cannot be read, the mean of `docker stats --no-stream` samples taken during it.
 */
export async function measureCpu<T>(
  containers: Array<{ id: string; name: string }>,
  work: () => Promise<T>,
): Promise<{ result: T; containers: Record<string, number>; loadGenerator: number; machine: number; source: 'cgroup' | 'docker stats' }> {
  const machineBefore = await machineCpu();
  const before = await Promise.all(containers.map((c) => containerCpuNs(c.id)));
  const cgroup = before.every((ns) => ns !== null);
  const samples: Array<Record<string, number>> = [];
  let sampling = !cgroup;
  const sampler = (async () => {
    await sleep(1000);
    while (sampling) {
      const { stdout } = await exec('docker', ['stats', '--no-stream', '--format', '{{.Name}} {{.CPUPerc}}', ...containers.map((c) => c.id)]).catch(() => ({ stdout: '' }));
      samples.push(parseDockerStats(stdout));
    }
  })();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let result: T;
  try {
    result = await work();
  } finally {
    sampling = false;
  }
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpuBefore);
  const loadGenerator = ((used.user + used.system) / 1000 / wallMs) * 100;
  const after = await Promise.all(containers.map((c) => containerCpuNs(c.id)));
  const machineAfter = await machineCpu();
  // Every process of the machine, in % of one core: what the measured ones leave out shows here (Docker, kernel networking, other load).
  const machine =
    machineBefore && machineAfter && machineAfter.total > machineBefore.total
      ? ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * availableParallelism() * 100
      : NaN;
  await sampler;
  const byName: Record<string, number> = {};
  containers.forEach((c, i) => {
    if (cgroup && after[i] != null) {
      byName[c.name] = cpuPercent(before[i]!, after[i]!, wallMs);
    } else {
      const values = samples.map((s) => s[c.name]).filter((v): v is number => v !== undefined);
      byName[c.name] = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
    }
  });
  return { result: result!, containers: byName, loadGenerator, machine, source: cgroup ? 'cgroup' : 'docker stats' };
}
