import type Docker from 'dockerode';
import type { ContainerEvent } from '../src/container-view.ts';

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
}

/** A Docker inspect document as the Engine returns it, with only the fields the service reads filled in. */
export function inspectInfo(init: InspectInit): Docker.ContainerInspectInfo {
  const labels: Record<string, string> = {
    'assembly.app': init.app ?? 'storage',
    ...(init.project === null ? {} : { 'com.docker.compose.project': init.project ?? 'demo' }),
    ...(init.number === undefined ? {} : { 'com.docker.compose.container-number': String(init.number) }),
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
