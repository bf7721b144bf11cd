import type Docker from 'dockerode';
import { CONTAINER_STATES, HEALTH_STATES, type DockerContainer } from './schemas.ts';

export const APP_LABEL = 'assembly.app';
export const PROJECT_LABEL = 'com.docker.compose.project';
/** Set by `docker stack deploy` on a stack's services and their containers: the mark of swarm mode. */
export const STACK_LABEL = 'com.docker.stack.namespace';
const CONTAINER_NUMBER_LABEL = 'com.docker.compose.container-number';

type State = DockerContainer['state'];
type Health = DockerContainer['health'];

/** Docker writes this for "never": a container that has not started or not stopped yet. */
const DOCKER_ZERO_TIME = /^0001-01-01T/;

export function shortId(id: string): string {
  return id.slice(0, 12);
}

export function timestamp(value: string | undefined): string | null {
  if (!value || DOCKER_ZERO_TIME.test(value)) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

export function containerNumber(labels: Record<string, string | undefined>): number | null {
  const value = labels[CONTAINER_NUMBER_LABEL];
  return value && /^\d{1,6}$/.test(value) ? Number(value) : null;
}

function knownState(value: string | undefined): State {
  return (CONTAINER_STATES as readonly string[]).includes(value ?? '') ? (value as State) : 'dead';
}

function knownHealth(value: string | undefined): Health {
  return (HEALTH_STATES as readonly string[]).includes(value ?? '') ? (value as Health) : 'none';
}

/** A health check result only means something while the check runs: for a stopped container it is `none`. */
export function healthWhile(state: State, health: Health): Health {
  return state === 'running' || state === 'paused' ? health : 'none';
}

/** The status of one container, from Docker's inspect document. */
export function fromInspect(info: Docker.ContainerInspectInfo): DockerContainer {
  const labels = info.Config?.Labels ?? {};
  const state = knownState(info.State?.Status);
  const running = state === 'running' || state === 'paused' || state === 'restarting';
  const finishedAt = timestamp(info.State?.FinishedAt);
  return {
    id: shortId(info.Id),
    name: info.Name.replace(/^\//, ''),
    appName: labels[APP_LABEL] ?? '',
    replica: containerNumber(labels),
    state,
    health: healthWhile(state, knownHealth(info.State?.Health?.Status)),
    startedAt: timestamp(info.State?.StartedAt),
    finishedAt,
    restartCount: info.RestartCount ?? 0,
    exitCode: running || !finishedAt ? null : (info.State?.ExitCode ?? null),
    image: info.Config?.Image ?? info.Image,
    addresses: Object.values(info.NetworkSettings?.Networks ?? {})
      .map((network) => network.IPAddress)
      .filter((address): address is string => !!address)
      .sort(),
    node: null,
  };
}
