import { PROJECT_LABEL } from './container-status.ts';
import type { DockerApi } from './docker-api.ts';

/** The compose project discovery is narrowed to, or why it is not narrowed to any. */
export type DiscoveryScope = { project: string } | { project: null; reason: string };

/**
 * The compose project of this service's own container, found by its id (Docker sets HOSTNAME to it),
 * so that each copy of the assembly on one engine (`docker-compose -p NAME up`) sees only its own
 * containers. Outside Docker (`npm start`) or outside compose there is none.
 */
export async function ownProject(api: DockerApi, ownContainerId: string | undefined, signal: AbortSignal): Promise<DiscoveryScope> {
  if (!ownContainerId) return { project: null, reason: 'HOSTNAME is unset, so there is no container id to look up' };
  const own = await api.inspectContainer(ownContainerId, signal);
  if (!own) return { project: null, reason: `no container has the id ${ownContainerId} (not running in Docker?)` };
  const project = own.Config?.Labels?.[PROJECT_LABEL];
  return project ? { project } : { project: null, reason: `container ${ownContainerId} has no ${PROJECT_LABEL} label` };
}
