import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from 'testkit/compose-stack';
import { itemReads, SEEDED_ITEMS, underMixedLoad } from 'testkit/mixed-load';
import type { ScheduledLoadResult } from 'testkit/scheduled-load';
import { SwarmStack } from 'testkit/swarm-stack';
import type { WriteLoadSummary } from 'testkit/write-load';
import { fmt, rotated, round, ROUNDS, spread, spreadText } from '../suite/figures.ts';
import type { Section } from '../suite/section.ts';

/** Item reads per second (open loop) and buyers placing keyed orders, as `npm run test:swarm` runs them. */
const READ_RATE = 100;
const BUYERS = 4;
const load = (stack: SwarmStack) => ({ url: (path: string) => stack.url(path), items: SEEDED_ITEMS, readRate: READ_RATE, buyers: BUYERS, marginMs: 2000, maxSeconds: 180 });
const SCALED_TO = 5;

/**
 * The stack's four safeguards of a rolling update, each taken away in turn (docker service update on
 * the deployed stack; a redeploy of docker-stack.yml puts it back): what each one prevents shows as
 * failed requests while `docker service update --force` replaces the replicas under load.
 */
interface Variant {
  id: string;
  label: string;
  /** Changes the deployed stack; the redeploy after the measurement undoes it. */
  apply?: (stack: SwarmStack, dir: string) => Promise<void>;
}

const REFRESH_15S_CONFIG = (stack: SwarmStack) => `${stack.name}_traefik_yml_refresh_15s`;

const VARIANTS: Variant[] = [
  { id: 'all', label: 'as deployed (all four)' },
  {
    id: 'no-drain',
    label: 'no drain on SIGTERM (SHUTDOWN_DRAIN_MS=0)',
    apply: (stack) => stack.updateService('storage', '--env-add', 'SHUTDOWN_DRAIN_MS=0'),
  },
  {
    id: 'no-healthcheck',
    label: 'no container healthcheck (routed once started)',
    apply: (stack) => stack.updateService('storage', '--no-healthcheck'),
  },
  {
    id: 'stop-first',
    label: 'stop-first updates',
    apply: (stack) => stack.updateService('storage', '--update-order', 'stop-first'),
  },
  {
    id: 'refresh-15s',
    label: "Traefik's default polling (refreshSeconds 15)",
    apply: async (stack, dir) => {
      const file = join(dir, 'traefik-refresh-15s.yml');
      const original = await readFile(join(ROOT, 'traefik/traefik.yml'), 'utf8');
      const changed = original.replace(/refreshSeconds: 1 /, 'refreshSeconds: 15');
      if (changed === original) throw new Error('swarm: traefik.yml has no "refreshSeconds: 1" to change');
      await writeFile(file, changed);
      // Made once, removed after the run (the stack's own configs go with the stack).
      await stack.docker(['config', 'create', REFRESH_15S_CONFIG(stack), file]).catch(() => undefined);
      await stack.updateService('gateway', '--config-rm', `${stack.name}_traefik_yml`, '--config-add', `source=${REFRESH_15S_CONFIG(stack)},target=/etc/traefik/traefik.yml`);
    },
  },
];

interface Measured {
  round: number;
  variant: string;
  /** The same reads, for `seconds`, before the update. */
  before: ScheduledLoadResult;
  during: ScheduledLoadResult;
  buyers: WriteLoadSummary;
  updateMs: number;
}

const failedOrders = (buyers: WriteLoadSummary) => Object.values(buyers.errors).reduce((a, b) => a + b, 0) + buyers.retries + buyers.gaveUp;

/**
 * docker-stack.yml on a single-node swarm (made for the run if none is active, and left again): a rolling
 * update of the three replicas under load, as deployed and with each of its four safeguards taken away
 * in turn; and how long a scale-out from 3 to 5 takes until the gateway routes the new tasks.
 */
export const section: Section = {
  id: 'swarm',
  title: 'Docker Swarm: a rolling update under load, each safeguard taken away in turn, and scale-out time to routed',
  run: async ({ seconds, dir }) => {
    const stack = await SwarmStack.create({ name: 'assembly-bench-swarm', env: { GATEWAY_RATE_AVERAGE: '100000', GATEWAY_RATE_BURST: '100000' } });
    const runs: Measured[] = [];
    const scaleOutMs: number[] = [];
    try {
      await stack.deploy();
      await stack.stockEveryProduct(1_000_000_000);
      for (let r = 1; r <= ROUNDS; r++) {
        // Rotated, so that no variant always runs first or last in a round.
        const order = rotated(VARIANTS, r);
        for (const variant of order) {
          await variant.apply?.(stack, dir);
          let updateMs = 0;
          const before = await itemReads(load(stack), seconds * 1000);
          const { reads: during, buyers } = await underMixedLoad(async () => {
            const started = performance.now();
            await stack.updateService('storage', '--force');
            updateMs = performance.now() - started;
          }, load(stack));
          runs.push({ round: r, variant: variant.id, before, during, buyers, updateMs });
          const last = runs.at(-1)!;
          process.stderr.write(
            `bench: swarm: round ${r} ${variant.id}: update ${round(updateMs / 1000, 1)} s, reads failed ${last.during.failed} of ${last.during.sent}, ` +
              `orders failed ${failedOrders(last.buyers)} (placed ${last.buyers.placed}), p99 ${fmt.ms(last.before.p99)} before, ${fmt.ms(last.during.p99)} during\n`,
          );
          if (variant.apply) await stack.redeploy();
        }
        // Scale-out: from the command to the gateway routing all five.
        const started = performance.now();
        await stack.docker(['service', 'scale', '--detach=true', `${stack.service('storage')}=${SCALED_TO}`]);
        await stack.waitRouted(SCALED_TO, 60_000);
        scaleOutMs.push(performance.now() - started);
        process.stderr.write(`bench: swarm: round ${r}: scaled to ${SCALED_TO}, routed after ${round(scaleOutMs.at(-1)! / 1000, 1)} s\n`);
        await stack.docker(['service', 'scale', '--detach=false', `${stack.service('storage')}=3`]);
      }
    } finally {
      stack.remove();
      await stack.docker(['config', 'rm', REFRESH_15S_CONFIG(stack)]).catch(() => undefined);
    }

    const of = (variant: string) => runs.filter((run) => run.variant === variant);
    const table = [
      ['rolling update of 3 replicas', 'reads failed (of sent)', 'orders failed', 'p99 before', 'p99 during the update', 'update took'],
      ...VARIANTS.map((variant) => {
        const rows = of(variant.id);
        return [
          variant.label,
          `${spreadText(rows.map((r) => r.during.failed), String)} (of ${spreadText(rows.map((r) => r.during.sent), String)})`,
          spreadText(rows.map((r) => failedOrders(r.buyers)), String),
          spreadText(rows.map((r) => r.before.p99), fmt.ms),
          spreadText(rows.map((r) => r.during.p99), fmt.ms),
          spreadText(rows.map((r) => r.updateMs / 1000), (s) => `${round(s, 1)} s`),
        ];
      }),
      ['scale-out 3 → 5: routed after', spreadText(scaleOutMs.map((ms) => ms / 1000), (s) => `${round(s, 1)} s`), '', '', '', ''],
    ];
    const all = of('all');
    const worst = (variant: string) => spread(of(variant).map((r) => r.during.failed + failedOrders(r.buyers))).median;
    const explanation =
      `A rolling update (\`docker service update --force\`, one task at a time) of three replicas while ${READ_RATE} item reads/s and ${BUYERS} buyers placing keyed orders ran: ` +
      `as deployed, ${spreadText(all.map((r) => r.during.failed), String)} reads and ${spreadText(all.map((r) => failedOrders(r.buyers)), String)} orders failed (min / median / max of ${ROUNDS} rounds), ` +
      `with a p99 of ${spreadText(all.map((r) => r.during.p99), fmt.ms)} during the update against ${spreadText(all.map((r) => r.before.p99), fmt.ms)} before it. ` +
      `Each safeguard taken away alone (median failed reads and orders): no drain ${worst('no-drain')}, no healthcheck ${worst('no-healthcheck')}, stop-first ${worst('stop-first')}, ` +
      `Traefik polling every 15 s ${worst('refresh-15s')}.` +
      ' Every request of this load may be retried on another replica by the gateway (reads, and orders with an Idempotency-Key), so a replica that closes its port early (no drain) or stops before its successor runs (stop-first, with two others serving) costs a retry, not a failure;' +
      ' the drain is what keeps an unkeyed POST, which is never retried, from failing on a stopping replica. Without the healthcheck a new task can be routed before it listens; with polling every 15 s a stopped task stays routed.' +
      ` A scale-out from 3 to ${SCALED_TO} tasks was routed ${spreadText(scaleOutMs.map((ms) => ms / 1000), (s) => `${round(s, 1)} s`)} after the command. ` +
      `Single-node swarm on the same 2 cores as the load; orders are keyed (Traefik retries them, and the buyers would send a key again: "orders failed" counts every answer that was not the order, and every retry).`;
    return {
      table,
      explanation,
      chart: {
        title: 'Failed requests during a rolling update under load (median of rounds; line: min–max)',
        yTitle: 'failed reads + orders',
        bars: VARIANTS.map((variant) => {
          const { min, median, max } = spread(of(variant.id).map((r) => r.during.failed + failedOrders(r.buyers)));
          return { label: variant.id, value: median, min, max };
        }),
      },
      data: {
        readRate: READ_RATE,
        buyers: BUYERS,
        beforeSeconds: seconds,
        runs: runs.map((run) => ({
          round: run.round,
          variant: run.variant,
          updateMs: Math.round(run.updateMs),
          before: { sent: run.before.sent, failed: run.before.failed, p50: run.before.p50, p99: run.before.p99 },
          during: { sent: run.during.sent, failed: run.during.failed, p50: run.during.p50, p99: run.during.p99, failures: run.during.failures.slice(0, 20) },
          buyers: { placed: run.buyers.placed, retries: run.buyers.retries, gaveUp: run.buyers.gaveUp, errors: run.buyers.errors, check: run.buyers.check },
        })),
        scaleOutMs: scaleOutMs.map(Math.round),
      },
    };
  },
};
