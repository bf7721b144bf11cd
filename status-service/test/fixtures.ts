import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { ContainerEvent } from '../src/container-view.ts';
import type { SwarmNode, SwarmService, SwarmTask } from '../src/docker-api.ts';

export const IDS = {
  storage1: 'a1'.repeat(32),
  storage2: 'a2'.repeat(32),
  status: 'b1'.repeat(32),
} as const;

const SECOND = 1e9;
export const T0 = 1_790_000_000 * SECOND;

export interface InspectInit {
  id: string;
  app?: string;
  name?: string;
  number?: number;
  status?: string;
  health?: string;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  restartCount?: number;
  address?: string;
  /** Its compose project; null for a container started without compose. */
  project?: string | null;
  /** Its swarm stack, for a task's container. */
  stack?: string;
}

/** A Docker inspect document as the Engine returns it, with only the fields the service reads filled in. */
export function inspectInfo(init: InspectInit): Docker.ContainerInspectInfo {
  const labels: Record<string, string> = {
    'assembly.app': init.app ?? 'storage',
    ...(init.project === null ? {} : { 'com.docker.compose.project': init.project ?? 'demo' }),
    ...(init.number === undefined ? {} : { 'com.docker.compose.container-number': String(init.number) }),
    ...(init.stack === undefined ? {} : { 'com.docker.stack.namespace': init.stack }),
  };
  return {
    Id: init.id,
    Name: `/${init.name ?? `demo_${init.app ?? 'storage'}_${init.number ?? 1}`}`,
    Image: 'sha256:0123',
    RestartCount: init.restartCount ?? 0,
    State: {
      Status: init.status ?? 'running',
      Running: (init.status ?? 'running') === 'running',
      ExitCode: init.exitCode ?? 0,
      StartedAt: init.startedAt ?? '2026-11-23T10:00:00.000000000Z',
      FinishedAt: init.finishedAt ?? '0001-01-01T00:00:00Z',
      ...(init.health ? { Health: { Status: init.health, FailingStreak: 0, Log: [] } } : {}),
    },
    Config: { Image: 'assembly-dev_storage', Labels: labels, ...(init.health ? { Healthcheck: { Test: ['CMD', 'true'] } } : {}) },
    NetworkSettings: { Networks: init.address ? { assembly: { IPAddress: init.address } } : {} },
  } as unknown as Docker.ContainerInspectInfo;
}

/** A container event as the Engine streams it (`Action`, `Actor`, `timeNano`), already parsed. */
export function event(id: string, action: string, atSeconds: number, attributes: Record<string, string> = {}): ContainerEvent {
  return {
    id,
    action,
    timeNano: T0 + atSeconds * SECOND,
    attributes: { 'assembly.app': 'storage', name: 'demo_storage_1', image: 'assembly-dev_storage', ...attributes },
  };
}

/** The same event as a line of Docker's newline-delimited JSON stream. */
export function eventLine(e: ContainerEvent): string {
  return `${JSON.stringify({ Type: 'container', Action: e.action, Actor: { ID: e.id, Attributes: e.attributes }, time: Math.floor(e.timeNano / 1e9), timeNano: e.timeNano })}\n`;
}

/** A service event as a line of Docker's stream: service events carry the service's name, no labels. */
export function serviceEventLine(id: string, action: string, name: string, atSeconds: number): string {
  const timeNano = T0 + atSeconds * SECOND;
  return `${JSON.stringify({ Type: 'service', Action: action, Actor: { ID: id, Attributes: { name } }, scope: 'swarm', time: Math.floor(timeNano / 1e9), timeNano })}\n`;
}

/** Swarm ids, as Docker makes them: 25 lower-case letters and digits. */
export const SERVICES = {
  storage: 'storagesvc000000000000000',
  status: 'statussvc0000000000000000',
  /** A service of another stack. */
  other: 'othersvc00000000000000000',
} as const;
export const NODES = {
  manager: 'managernode00000000000000',
  worker: 'workernode000000000000000',
} as const;

/** A swarm service of stack demo (or `stack`), as Docker lists it. */
export function serviceInfo(id: string, name: string, stack = 'demo'): SwarmService {
  return { ID: id, Spec: { Name: name, Labels: { 'com.docker.stack.namespace': stack } } };
}

export function nodeInfo(id: string, hostname: string): SwarmNode {
  return { ID: id, Description: { Hostname: hostname } };
}

/** The id of the container Docker made for a task: 64 hex digits, one of its own for each task. */
export function taskContainerId(taskId: string): string {
  return createHash('sha256').update(taskId).digest('hex');
}

export interface TaskInit {
  id: string;
  /** Its service's id; storage's by default. */
  service?: string;
  /** Its replica slot, 1 by default; null for a task of a global service. */
  slot?: number | null;
  node?: string;
  desired?: string;
  state?: string;
  /** When its state last changed. */
  at?: string;
  /** False for a task that has no container yet. */
  hasContainer?: boolean;
  exitCode?: number;
  /** Its containers' `assembly.app` label, storage by default; null for none. */
  app?: string | null;
  healthcheck?: string[];
  /** On its networks, as Docker writes them: with the prefix length. */
  addresses?: string[];
}

/** A swarm task as Docker lists it, with only the fields the service reads filled in. */
export function taskInfo(init: TaskInit): SwarmTask {
  const labels: Record<string, string> = {
    'com.docker.stack.namespace': 'demo',
    ...(init.app === null ? {} : { 'assembly.app': init.app ?? 'storage' }),
  };
  return {
    ID: init.id,
    ServiceID: init.service ?? SERVICES.storage,
    NodeID: init.node ?? NODES.manager,
    ...(init.slot === null ? {} : { Slot: init.slot ?? 1 }),
    DesiredState: init.desired ?? 'running',
    Status: {
      Timestamp: init.at ?? '2026-11-23T10:00:00.123456789Z',
      State: init.state ?? 'running',
      ...(init.hasContainer === false
        ? {}
        : { ContainerStatus: { ContainerID: taskContainerId(init.id), ...(init.exitCode === undefined ? {} : { ExitCode: init.exitCode }) } }),
    },
    Spec: {
      ContainerSpec: {
        Image: `assembly/storage-service:latest@sha256:${'0a'.repeat(32)}`,
        Labels: labels,
        ...(init.healthcheck ? { Healthcheck: { Test: init.healthcheck } } : {}),
      },
    },
    NetworksAttachments: [{ Addresses: init.addresses ?? [] }],
  };
}
