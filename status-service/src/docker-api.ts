import Docker from 'dockerode';

/** The few Docker Engine calls the service makes; tests give it a fake, production gives it dockerode. */
export interface DockerApi {
  /** Ids of the containers (running or not) that carry all of these labels (`key` or `key=value`). */
  listContainerIds(labels: string[], signal: AbortSignal): Promise<string[]>;
  /** Docker's inspect document of the container with this id (or unique prefix, or name), or null when there is none. */
  inspectContainer(id: string, signal: AbortSignal): Promise<Docker.ContainerInspectInfo | null>;
  /** The events stream, newline-delimited JSON, for containers with those labels and those actions. */
  containerEvents(labels: string[], actions: readonly string[], signal: AbortSignal): Promise<NodeJS.ReadableStream>;
  ping(signal: AbortSignal): Promise<void>;
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

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number } | null)?.statusCode === 404;
}

/** dockerode passes `abortSignal` on to every call; its type declarations lack it for these two. */
interface Abortable {
  abortSignal: AbortSignal;
}

export function dockerodeApi(endpoint: DockerEndpoint): DockerApi {
  const docker = new Docker(endpoint);
  const getEvents = docker.getEvents.bind(docker) as (options: Docker.GetEventsOptions & Abortable) => Promise<NodeJS.ReadableStream>;
  const ping = docker.ping.bind(docker) as (options: Abortable) => Promise<unknown>;
  return {
    async listContainerIds(labels, signal) {
      const containers = await docker.listContainers({ all: true, filters: { label: labels }, abortSignal: signal });
      return containers.map((container) => container.Id);
    },
    async inspectContainer(id, signal) {
      try {
        return await docker.getContainer(id).inspect({ abortSignal: signal });
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async containerEvents(labels, actions, signal) {
      return getEvents({ filters: { type: ['container'], label: labels, event: [...actions] }, abortSignal: signal });
    },
    async ping(signal) {
      await ping({ abortSignal: signal });
    },
  };
}
