import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Stack } from 'testkit/compose-stack';
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

/**
 * The assembly as the benchmarks run it: docker-compose.yml with .env.dev (through testkit's Stack),
 * under the project assembly-bench on a free port of 127.0.0.1, with the gateway's per-client rate limit
 * lifted (else the load measures 429s) and info-level logs (the production default; .env.dev says debug).
 */
export class BenchStack {
  readonly stack: Stack;

  private constructor(stack: Stack) {
    this.stack = stack;
  }

  get baseUrl(): string {
    return this.stack.baseUrl;
  }

  /** Brings the assembly up with `replicas` storage replicas and waits until the gateway routes to all of them. */
  static async up(replicas: number): Promise<BenchStack> {
    const stack = await Stack.create({
      project: BENCH_PROJECT,
      env: {
        ...imageDefaults(),
        STORAGE_REPLICAS: String(replicas),
        GATEWAY_RATE_AVERAGE: '1000000',
        GATEWAY_RATE_BURST: '1000000',
        LOG_LEVEL: 'info',
      },
    });
    const bench = new BenchStack(stack);
    process.once('SIGINT', bench.#onSignal);
    process.once('SIGTERM', bench.#onSignal);
    try {
      await stack.compose(['down', '-v', '--remove-orphans', '--timeout', '5']); // leftovers of an interrupted run
      await stack.compose(['up', '-d', '--build']);
      await bench.waitRouted(replicas);
    } catch (err) {
      await bench.down();
      throw err;
    }
    return bench;
  }

  /** Runs `fn` with a stack of `replicas` replicas, and always takes it down afterwards. */
  static async with<T>(replicas: number, fn: (stack: BenchStack) => Promise<T>): Promise<T> {
    const bench = await BenchStack.up(replicas);
    try {
      return await fn(bench);
    } finally {
      await bench.down();
    }
  }

  readonly #onSignal = (signal: NodeJS.Signals) => {
    this.stack.downSync();
    process.kill(process.pid, signal);
  };

  async down(): Promise<void> {
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    await this.stack.compose(['down', '-v', '--remove-orphans', '--timeout', '5']).catch(() => this.stack.downSync());
  }

  /** `up -d --scale storage=N` on the running stack (existing containers are kept), then waits for routing. */
  async scale(replicas: number): Promise<void> {
    await this.stack.compose(['up', '-d', '--no-build', '--no-recreate', '--scale', `storage=${replicas}`]);
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
      const up = running.filter((c) => c.health === 'healthy' && c.gateway?.status === 'UP');
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
