import Docker from 'dockerode';
import type { ContainerStatsApi, DockerStats } from './resource-sampler.ts';

/** The few Docker Engine calls the service makes; tests give it a fake, production gives it dockerode. */
export interface DockerApi {
  /** Ids of the containers (running or not) that carry all of these labels (`key` or `key=value`). */
  listContainerIds(labels: string[], signal: AbortSignal): Promise<string[]>;
  /** Docker's inspect document of the container with this id (or unique prefix, or name), or null when there is none. */
  inspectContainer(id: string, signal: AbortSignal): Promise<Docker.ContainerInspectInfo | null>;
  /** The events stream, newline-delimited JSON, for containers with those labels and those actions. */
  containerEvents(labels: string[], actions: readonly string[], signal: AbortSignal): Promise<NodeJS.ReadableStream>;
  ping(signal: AbortSignal): Promise<void>;
  /** Swarm mode: the services that carry all of these labels. */
  listServices(labels: string[], signal: AbortSignal): Promise<SwarmService[]>;
  /**
   * Swarm mode: the tasks of these services, in one call, of every state the swarm still keeps; null when
   * one of them no longer exists (removed since it was listed).
   */
  listTasks(serviceIds: string[], signal: AbortSignal): Promise<SwarmTask[] | null>;
  /** Swarm mode: Docker's inspect document of the node with this id, or null when the swarm has no such node. */
  inspectNode(id: string, signal: AbortSignal): Promise<SwarmNode | null>;
  /**
   * Swarm mode: the events stream, newline-delimited JSON, for containers (of this node only) and services
   * with those actions. Not narrowed by label: a service's events carry none.
   */
  swarmEvents(actions: readonly string[], signal: AbortSignal): Promise<NodeJS.ReadableStream>;
}

/** A swarm service as Docker lists it, with only the fields the service reads. */
export interface SwarmService {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

/** A swarm task as Docker lists it, with only the fields the service reads (dockerode leaves tasks untyped). */
export interface SwarmTask {
  ID: string;
  ServiceID: string;
  /** Absent until the task is assigned to a node. */
  NodeID?: string;
  /** The replica's slot; absent for a task of a global service, whose place is its node. */
  Slot?: number;
  DesiredState?: string;
  Status?: {
    Timestamp?: string;
    State?: string;
    /** Once the task has a container. Docker leaves a zero exit code out. */
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  Spec?: { ContainerSpec?: { Image?: string; Labels?: Record<string, string>; Healthcheck?: { Test?: string[] } } };
  /** Its addresses on each network, with the network's prefix length (`10.0.1.5/24`). */
  NetworksAttachments?: Array<{ Addresses?: string[] }>;
}

/** A swarm node as Docker inspects it, with only the fields the service reads. */
export interface SwarmNode {
  ID: string;
  Description?: { Hostname?: string };
}

export type DockerEndpoint = { socketPath: string } | { host: string; port: number };

/**
 * Reads DOCKER_HOST as the Docker CLI does: `unix:///path/to/socket` or `tcp://host:port` (plain HTTP;
 * a TLS endpoint is not supported). Returns null for anything else.
 */
export function parseDockerHost(value: string): DockerEndpoint | null {
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    return socketPath.startsWith('/') ? { socketPath } : null;
  }
  const tcp = /^tcp:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(value);
  if (tcp?.[1] && tcp[2] && Number(tcp[2]) <= 65535) return { host: tcp[1].replace(/^\[|\]$/g, ''), port: Number(tcp[2]) };
  return null;
}

/** Docker's answer, or null when it says there is no such object (404). */
async function orNullIfMissing<T>(answer: Promise<T>): Promise<T | null> {
  try {
    return await answer;
  } catch (err) {
    if ((err as { statusCode?: number } | null)?.statusCode === 404) return null;
    throw err;
  }
}

/** dockerode passes `abortSignal` on to every call; its type declarations lack it for these three. */
interface Abortable {
  abortSignal: AbortSignal;
}

export function dockerodeApi(endpoint: DockerEndpoint): DockerApi & ContainerStatsApi {
  const docker = new Docker(endpoint);
  const getEvents = docker.getEvents.bind(docker) as (options: Docker.GetEventsOptions & Abortable) => Promise<NodeJS.ReadableStream>;
  const ping = docker.ping.bind(docker) as (options: Abortable) => Promise<unknown>;
  return {
    async containerStats(id, signal) {
      // one-shot: the engine answers with one sample at once, instead of taking a second one a second later.
      const options: { stream: false; 'one-shot': boolean } & Abortable = { stream: false, 'one-shot': true, abortSignal: signal };
      return orNullIfMissing<DockerStats>(docker.getContainer(id).stats(options));
    },
    async listContainerIds(labels, signal) {
      const containers = await docker.listContainers({ all: true, filters: { label: labels }, abortSignal: signal });
      return containers.map((container) => container.Id);
    },
    async inspectContainer(id, signal) {
      return orNullIfMissing(docker.getContainer(id).inspect({ abortSignal: signal }));
    },
    async containerEvents(labels, actions, signal) {
      return getEvents({ filters: { type: ['container'], label: labels, event: [...actions] }, abortSignal: signal });
    },
    async ping(signal) {
      await ping({ abortSignal: signal });
    },
    async listServices(labels, signal) {
      return docker.listServices({ filters: { label: labels }, abortSignal: signal });
    },
    async listTasks(serviceIds, signal) {
      return orNullIfMissing(docker.listTasks({ filters: { service: serviceIds }, abortSignal: signal }));
    },
    async inspectNode(id, signal) {
      return orNullIfMissing(docker.getNode(id).inspect({ abortSignal: signal }));
    },
    async swarmEvents(actions, signal) {
      return getEvents({ filters: { type: ['container', 'service'], event: [...actions] }, abortSignal: signal });
    },
  };
}
