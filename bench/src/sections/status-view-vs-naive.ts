import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { within } from 'testkit/poll';
import { runLoad } from '../run-load.ts';
import { startServerProcess, type ServerProcess } from 'testkit/processes';
import { imageDefaults } from '../stack.ts';
import type { LoadSummary } from '../summary.ts';
import { fmt, loadOptions, round } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const exec = promisify(execFile);

const COUNTS = [3, 10, 30];
const RATE = 1000;
const RATE_CONNECTIONS = 10;
const CONNECTIONS = 50;
const GOAL_P99_MS = 5;
const IDLE = "process.on('SIGTERM',()=>process.exit(0));setInterval(()=>{},1e3)";

const VIEW_ENTRY = fileURLToPath(new URL('../../../status-service/src/server.ts', import.meta.url));
const NAIVE_ENTRY = fileURLToPath(new URL('../naive-status.ts', import.meta.url));

type Variant = 'view' | 'naive';

/** Until the real service's view holds `count` running storage containers of the project. */
async function waitForView(url: string, count: number): Promise<void> {
  await within(`status-view-vs-naive: the view reaching ${count} running containers`, 30_000, async () => {
    const report = (await (await fetch(`${url}/status?appName=storage`)).json()) as { containers?: Array<{ state: string }> };
    const running = report.containers?.filter((c) => c.state === 'running').length ?? 0;
    if (running !== count) throw new Error(`${running} running`);
    return true;
  }, { intervalMs: 200 });
}

/**
 * /status of the real status service (a view fed by Docker's events, every request answered from memory)
 * against the naive design (bench/src/naive-status.ts: every request lists and inspects the containers),
 * both local processes on the same Docker Engine, with 3, 10 and 30 labelled idle containers.
 */
export const section: Section = {
  id: 'status-view-vs-naive',
  title: '/status: event-fed view vs asking Docker on every request',
  async run({ seconds, dir }) {
    // The labelled idle containers' image: NODE_IMAGE, else the air-gapped local/node:24 where it exists, else the official one.
    const image = process.env.NODE_IMAGE ?? imageDefaults().NODE_IMAGE ?? 'node:24-bookworm-slim';
    const project = `assembly-bench-status-${process.pid}`;
    const label = `com.docker.compose.project=${project}`;
    const removeContainers = async () => {
      const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=${label}`]).catch(() => ({ stdout: '' }));
      const ids = stdout.split('\n').filter(Boolean);
      if (ids.length) await exec('docker', ['rm', '-f', ...ids]).catch(() => undefined);
    };
    const processes: Partial<Record<Variant, ServerProcess>> = {};
    const stopAll = () => Promise.all(Object.values(processes).map((p) => p.stop()));
    const onSignal = (signal: NodeJS.Signals) => {
      void stopAll()
        .then(removeContainers)
        .finally(() => process.kill(process.pid, signal));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    const results: Array<{ containers: number; variant: Variant; atRate: LoadSummary; unthrottled: LoadSummary }> = [];
    try {
      // Both find their project as the real service does in compose, from their "own" container (HOSTNAME):
      // an idle one of this benchmark's project, without the assembly.app label, so it is not counted.
      const own = (await exec('docker', ['run', '-d', '--label', label, image, 'node', '-e', IDLE])).stdout.trim();
      const env = { HOSTNAME: own, LOG_LEVEL: 'info' };
      // Each process's stdout (a JSON log line per request) goes to a file, never a pipe this process must drain.
      processes.view = await startServerProcess(VIEW_ENTRY, env, { stdoutFile: join(dir, 'view.log') });
      processes.naive = await startServerProcess(NAIVE_ENTRY, env, { stdoutFile: join(dir, 'naive.log') });

      let started = 0;
      for (const count of COUNTS) {
        const more = count - started;
        // A few at a time: 30 `docker run` at once make the daemon itself the slowest thing here.
        for (let i = 0; i < more; i += 5) {
          await Promise.all(
            Array.from({ length: Math.min(5, more - i) }, () =>
              exec('docker', ['run', '-d', '--label', 'assembly.app=storage', '--label', label, image, 'node', '-e', IDLE]),
            ),
          );
        }
        started = count;
        await waitForView(processes.view.url, count);

        for (const variant of ['view', 'naive'] as const) {
          const url = processes[variant]!.url;
          const atRate = await runLoad(loadOptions(url, '', { workload: 'status', connections: RATE_CONNECTIONS, rate: RATE, durationSeconds: seconds }));
          const unthrottled = await runLoad(loadOptions(url, '', { workload: 'status', connections: CONNECTIONS, durationSeconds: seconds }));
          process.stderr.write(
            `bench: status-view-vs-naive: ${count} containers, ${variant}: @${RATE}/s p50 ${atRate.latencyMs.p50} ms p99 ${atRate.latencyMs.p99} ms ` +
              `(${atRate.requests.perSecond} req/s, ${atRate.errors.total} errors); unthrottled ${unthrottled.requests.perSecond} req/s\n`,
          );
          results.push({ containers: count, variant, atRate, unthrottled });
        }
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await stopAll();
      await removeContainers();
    }

    const rows = COUNTS.map((containers) => {
      const view = results.find((r) => r.containers === containers && r.variant === 'view')!;
      const naive = results.find((r) => r.containers === containers && r.variant === 'naive')!;
      return { containers, view, naive, ratio: view.unthrottled.requests.perSecond / naive.unthrottled.requests.perSecond };
    });
    const p99Cell = (s: LoadSummary) => {
      const achieved = s.requests.perSecond < RATE * 0.95 ? ` (only ${fmt.rps(s.requests.perSecond)} req/s)` : '';
      const errors = s.errors.total ? `, ${s.errors.total} errors` : '';
      return `${fmt.ms(s.latencyMs.p99)}${achieved}${errors}`;
    };
    const table = [
      ['containers', `view p99 @${RATE}/s`, `naive p99 @${RATE}/s`, 'view req/s', 'naive req/s', 'throughput ratio'],
      ...rows.map((r) => [
        String(r.containers),
        p99Cell(r.view.atRate),
        p99Cell(r.naive.atRate),
        fmt.rps(r.view.unthrottled.requests.perSecond),
        fmt.rps(r.naive.unthrottled.requests.perSecond),
        fmt.ratio(r.ratio),
      ]),
    ];

    const viewP99 = rows.map((r) => r.view.atRate.latencyMs.p99 ?? Infinity);
    const naiveP99 = rows.map((r) => r.naive.atRate.latencyMs.p99 ?? Infinity);
    const viewAchieved = rows.every((r) => r.view.atRate.requests.perSecond >= RATE * 0.95 && r.view.atRate.errors.total === 0);
    const goalMet = viewAchieved && viewP99.every((p) => p < GOAL_P99_MS);
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    const explanation =
      `At ${RATE} req/s the event-fed view answered with p99 ${viewP99.map((p) => fmt.ms(p)).join(', ')} for ${COUNTS.join(', ')} containers ` +
      `(goal p99 < ${GOAL_P99_MS} ms, flat: ${goalMet ? 'met' : `not met; autocannon's rate sends each second's ${RATE} requests back to back on ${RATE_CONNECTIONS} connections, so the p99 holds the queue of that burst and the noise of a machine shared with the load generator`}), while the naive variant, which makes 1 + N Docker calls per request, ` +
      `had p99 ${naiveP99.map((p) => fmt.ms(p)).join(', ')}${rows.some((r) => r.naive.atRate.requests.perSecond < RATE * 0.95) ? ' and could not keep up with the rate everywhere' : ''}. ` +
      `Unthrottled at ${CONNECTIONS} connections the view served ${fmt.ratio(first.ratio)} the naive throughput with ${first.containers} containers and ` +
      `${fmt.ratio(last.ratio)} with ${last.containers}: the naive cost grows with the container count because the Docker daemon does the work, the view's does not.`;

    return {
      table,
      explanation,
      chart: {
        title: `/status p99 latency at ${RATE} req/s by labelled containers`,
        yTitle: 'p99 ms',
        bars: rows.flatMap((r) => [
          { label: `${r.containers} containers`, series: 'event-fed view', value: r.view.atRate.latencyMs.p99 ?? 0 },
          { label: `${r.containers} containers`, series: 'naive', value: r.naive.atRate.latencyMs.p99 ?? 0 },
        ]),
      },
      data: {
        seconds,
        rate: RATE,
        rateConnections: RATE_CONNECTIONS,
        connections: CONNECTIONS,
        goalP99Ms: GOAL_P99_MS,
        goalMet,
        rows: rows.map((r) => ({ containers: r.containers, ratio: round(r.ratio, 2), view: { atRate: r.view.atRate, unthrottled: r.view.unthrottled }, naive: { atRate: r.naive.atRate, unthrottled: r.naive.unthrottled } })),
      },
    };
  },
};
