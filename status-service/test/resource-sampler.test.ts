import test from 'ava';
import { ContainerView } from '../src/container-view.ts';
import { observe } from '../src/docker-watcher.ts';
import { ResourceSampler, resourcesFrom, type ContainerStatsApi, type DockerStats } from '../src/resource-sampler.ts';
import { IDS, inspectInfo } from './fixtures.ts';
import { captureLogs } from './helpers.ts';

const sample = (cpu: number, system: number, memory: { usage: number; limit: number; stats: Record<string, number> }): DockerStats => ({
  cpu_stats: { cpu_usage: { total_usage: cpu }, system_cpu_usage: system, online_cpus: 2 },
  memory_stats: memory,
});

test('CPU as docker stats counts it, from two samples; memory without the reclaimable page cache (cgroup v2 and v1)', (t) => {
  const first = sample(1_000_000_000, 100_000_000_000, { usage: 60_000_000, limit: 8_000_000_000, stats: { inactive_file: 10_000_000 } });
  t.deepEqual(resourcesFrom(first, undefined), { cpuPercent: null, memoryBytes: 50_000_000, memoryLimitBytes: 8_000_000_000 });
  // 0.5 s of CPU while the 2 cores ran 20 s together (10 s each): 5 % of one core.
  const second = sample(1_500_000_000, 120_000_000_000, { usage: 70_000_000, limit: 8_000_000_000, stats: { total_inactive_file: 5_000_000 } });
  t.deepEqual(resourcesFrom(second, first), { cpuPercent: 5, memoryBytes: 65_000_000, memoryLimitBytes: 8_000_000_000 });
  // A document without figures (a container stopping as it was read) gives nulls, not NaN.
  t.deepEqual(resourcesFrom({}, second), { cpuPercent: null, memoryBytes: null, memoryLimitBytes: null });
});

test('each round reads every running container once; a stopped one is forgotten, one Docker does not know is null', async (t) => {
  const view = new ContainerView('tcp://docker-api:2375');
  view.replaceAll([
    observe(inspectInfo({ id: IDS.storage1, number: 1 })),
    observe(inspectInfo({ id: IDS.storage2, number: 2 })),
    observe(inspectInfo({ id: IDS.status, app: 'status', status: 'exited', exitCode: 0 })),
  ]);
  const asked: string[] = [];
  let round = 0;
  const api: ContainerStatsApi = {
    async containerStats(id) {
      asked.push(id);
      if (id === IDS.storage2.slice(0, 12)) return null;
      return sample(round * 1_000_000_000, round * 100_000_000_000, { usage: 40_000_000, limit: 1_000_000_000, stats: { inactive_file: 0 } });
    },
  };
  const sampler = new ResourceSampler({ api, view, logger: captureLogs().logger, intervalMs: 60_000 });
  let rounds = 0;
  sampler.onChange(() => rounds++);
  round = 1;
  await sampler.sampleOnce();
  round = 2;
  await sampler.sampleOnce();
  t.is(rounds, 2);
  t.deepEqual(asked, [IDS.storage1, IDS.storage2, IDS.storage1, IDS.storage2].map((id) => id.slice(0, 12)));
  t.deepEqual(sampler.resourcesOf(IDS.storage1.slice(0, 12)), { cpuPercent: 2, memoryBytes: 40_000_000, memoryLimitBytes: 1_000_000_000 });
  t.is(sampler.resourcesOf(IDS.storage2.slice(0, 12)), null);
  t.is(sampler.resourcesOf(IDS.status.slice(0, 12)), null);

  view.replaceAll([observe(inspectInfo({ id: IDS.storage1, number: 1, status: 'exited', exitCode: 137 }))]);
  await sampler.sampleOnce();
  t.is(sampler.resourcesOf(IDS.storage1.slice(0, 12)), null);
});
