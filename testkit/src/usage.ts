import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

// What the kernel says a process, a container or the machine used: the one CPU and memory accounting of
// the tests and benchmarks. Processes from /proc/<pid>, containers from their cgroup, the machine from /proc/stat.

const exec = promisify(execFile);

export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return Math.round((kB / 1024) * 10) / 10;
}

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 on every architecture Node runs on (sysconf is not in Node). */
const CLOCK_TICKS_PER_SECOND = 100;

export async function cpuSeconds(pid: number): Promise<number> {
  return cpuSecondsOf(await readFile(`/proc/${pid}/stat`, 'utf8'));
}

/** utime + stime of a /proc/<pid>/stat line, in seconds. */
export function cpuSecondsOf(stat: string): number {
  // Fields after the command name, which is in parentheses and may hold spaces and parentheses: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const seconds = (Number(fields[14 - 3]) + Number(fields[15 - 3])) / CLOCK_TICKS_PER_SECOND;
  if (!Number.isFinite(seconds)) throw new Error(`not a /proc/<pid>/stat line: ${stat.slice(0, 80)}`);
  return seconds;
}

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
