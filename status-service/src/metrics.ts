import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContainerView } from './container-view.ts';

/**
 * What the status service knows, for Prometheus, read from the live view at each scrape:
 * `status_docker_connected`, `status_docker_events_total`, and `status_containers` by app and state
 * (Docker's few container states; one series per app and state seen).
 */
export function registerStatusMetrics(registry: Registry, view: ContainerView): void {
  new Gauge({
    name: 'status_docker_connected',
    help: '1 while the Docker Engine (through its API proxy) answers and the view follows its events, else 0.',
    registers: [registry],
    collect() {
      this.set(view.connection.reachable ? 1 : 0);
    },
  });

  let counted = 0;
  new Counter({
    name: 'status_docker_events_total',
    help: 'Docker container events received, stale and duplicate ones included.',
    registers: [registry],
    collect() {
      this.inc(view.eventsSeen - counted);
      counted = view.eventsSeen;
    },
  });

  new Gauge({
    name: 'status_containers',
    help: "The assembly's containers as last seen, by app (assembly.app) and Docker state.",
    labelNames: ['app', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { appName, state } of view.containers()) this.inc({ app: appName, state });
    },
  });
}
