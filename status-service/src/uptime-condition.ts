import type { ContainerStatus, DOWN_STATES } from './schemas.ts';

export type DownState = (typeof DOWN_STATES)[number];

/** Serving (running, and routed where the gateway routes its app), or not, and why. */
export type Condition = { up: true } | { up: false; state: DownState; exitCode: number | null; reason: string };

/** Exit codes above 128 are a signal's number plus 128: the container was killed (137: SIGKILL, 143: SIGTERM). */
const SIGNAL_EXIT = 128;

/**
 * A container's condition as uptime counts it: up while it runs, is not unhealthy, and, if the gateway
 * routes its app (`routedApps`), the gateway's health check says UP. An app none of whose containers the
 * gateway routes (the gateway itself, the Docker API proxy) is up while it runs. Without a gateway view
 * (`gateway` null) running is enough.
 */
export function conditionOf(container: ContainerStatus, routedApps: ReadonlySet<string>): Condition {
  const down = (state: DownState, reason: string, exitCode: number | null = null): Condition => ({ up: false, state, exitCode, reason });
  switch (container.state) {
    case 'running':
      break;
    case 'exited':
    case 'dead': {
      const code = container.exitCode;
      if (code !== null && code > SIGNAL_EXIT) return down('killed', `killed by signal ${code - SIGNAL_EXIT} (exit code ${code})`, code);
      if (container.state === 'dead') return down('dead', 'Docker could not stop or remove it (dead)', code);
      return down('exited', `exited with code ${code ?? 'unknown'}`, code);
    }
    default:
      return down(container.state, `${container.state}, not running`);
  }
  if (container.health === 'unhealthy') return down('unhealthy', "Docker's health check calls it unhealthy");
  const gateway = container.gateway;
  if (!gateway || !routedApps.has(container.appName)) return { up: true };
  if (gateway.status === 'DOWN') return down('gateway-down', "the gateway's health check calls it DOWN");
  if (gateway.status === 'NOT_ROUTED') return down('not-routed', 'running, but the gateway does not route to it');
  return { up: true };
}

/** The apps the gateway routes now: those with a container it calls UP or DOWN. */
export function routedApps(containers: ContainerStatus[]): Set<string> {
  return new Set(containers.filter((c) => c.gateway && c.gateway.status !== 'NOT_ROUTED').map((c) => c.appName));
}

export function sameCondition(a: Condition, b: Condition): boolean {
  if (a.up || b.up) return a.up === b.up;
  return a.state === b.state && a.exitCode === b.exitCode && a.reason === b.reason;
}
