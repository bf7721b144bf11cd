import { runLoad } from '../run-load.ts';
import { BenchStack } from '../stack.ts';
import type { LoadSummary } from '../summary.ts';
import { benchSeconds, fmt, loadOptions, mean, round } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

const CONNECTIONS = 50;
const ROUNDS = 2;

type Path = 'gateway' | 'direct' | 'published';
const PATHS: Path[] = ['gateway', 'direct', 'published'];

/**
 * One storage replica, loaded straight at its container address (`http://<ip>:3000/data/…`), through
 * Traefik at its container address (`http://<ip>:8080/storagesvc/data/…`), and through Traefik on the
 * published port users reach (127.0.0.1, Docker's port forwarding in front); interleaved and rotated
 * so drift of a noisy machine hits all alike.
 */
export const section: Section = {
  id: 'gateway-overhead',
  title: 'Gateway overhead: through Traefik vs straight to one replica',
  async run() {
    const seconds = benchSeconds();
    return BenchStack.with(1, async (stack) => {
      const [replica] = await stack.replicas();
      if (!replica) throw new Error('gateway-overhead: no storage replica running');
      const targets: Record<Path, { url: string; prefix: string }> = {
        gateway: { url: await stack.gatewayUrl(), prefix: '/storagesvc' },
        direct: { url: `http://${replica.ip}:3000`, prefix: '' },
        published: { url: stack.baseUrl, prefix: '/storagesvc' },
      };
      const runs: Array<{ round: number; path: Path; summary: LoadSummary }> = [];
      for (let round = 1; round <= ROUNDS; round++) {
        // Rotated: no path always goes first.
        const order = PATHS.map((_, i) => PATHS[(i + round - 1) % PATHS.length]!);
        for (const path of order) {
          const { url, prefix } = targets[path];
          const summary = await runLoad(loadOptions(url, prefix, { connections: CONNECTIONS, durationSeconds: seconds }));
          process.stderr.write(`bench: gateway-overhead: round ${round} ${path}: ${summary.requests.perSecond} req/s, p50 ${summary.latencyMs.p50} ms, p99 ${summary.latencyMs.p99} ms, errors ${summary.errors.total}\n`);
          runs.push({ round, path, summary });
        }
      }

      const of = (path: Path) => {
        const own = runs.filter((r) => r.path === path).map((r) => r.summary);
        return {
          rps: mean(own.map((s) => s.requests.perSecond)),
          p50: mean(own.map((s) => s.latencyMs.p50 ?? NaN)),
          p99: mean(own.map((s) => s.latencyMs.p99 ?? NaN)),
          errors: own.reduce((n, s) => n + s.errors.total, 0),
          requests: own.reduce((n, s) => n + s.requests.total, 0),
        };
      };
      const gateway = of('gateway');
      const direct = of('direct');
      const published = of('published');
      const ratio = gateway.rps / direct.rps;
      const addedP50 = gateway.p50 - direct.p50;
      const addedP99 = gateway.p99 - direct.p99;

      const row = (label: string, path: typeof gateway) => [label, fmt.rps(path.rps), fmt.ratio(path.rps / direct.rps), fmt.ms(path.p50), fmt.ms(path.p99)];
      const table = [
        ['path', 'req/s', 'vs direct', 'p50', 'p99'],
        row('straight to the replica (container address)', direct),
        row('through Traefik (its container address)', gateway),
        row('through Traefik on the published port (127.0.0.1)', published),
      ];
      const errors = gateway.errors + direct.errors + published.errors;
      const explanation =
        `Through Traefik one replica served ${fmt.rps(gateway.rps)} req/s against ${fmt.rps(direct.rps)} req/s straight at it (${fmt.ratio(ratio)}), ` +
        `and Traefik added ${fmt.ms(addedP50)} at p50 and ${fmt.ms(addedP99)} at p99 (${CONNECTIONS} connections, mean of ${ROUNDS} rotated rounds of ${seconds} s). ` +
        `Traefik parses, routes and re-sends every request, runs its middlewares (rate limit, security headers, CSP, error pages, retry, prefix strip) and writes a JSON access-log line, ` +
        `on the same two cores as the replica and the load generator, so its cost shows as lost throughput more than as added latency. ` +
        `On the published port users reach, Docker's port forwarding (docker-proxy, a userland copy of every byte) takes another share: ${fmt.rps(published.rps)} req/s (${fmt.ratio(published.rps / direct.rps)}).` +
        (errors ? ` ${errors} of ${gateway.requests + direct.requests + published.requests} requests failed.` : '');

      return {
        table,
        explanation,
        chart: {
          title: `Read throughput, ${CONNECTIONS} connections, one replica`,
          yTitle: 'requests/s',
          bars: [
            { label: 'straight to the replica', value: round(direct.rps, 0) },
            { label: 'through Traefik', value: round(gateway.rps, 0) },
            { label: 'Traefik, published port', value: round(published.rps, 0) },
          ],
        },
        data: { connections: CONNECTIONS, rounds: ROUNDS, seconds, replica: { name: replica.name, ip: replica.ip }, gateway, direct, published, ratio, addedP50, addedP99, runs },
      };
    });
  },
};
