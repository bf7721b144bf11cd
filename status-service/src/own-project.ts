import { PROJECT_LABEL, STACK_LABEL } from './container-status.ts';
import type { DockerApi } from './docker-api.ts';

/**
 * What discovery is narrowed to: the swarm stack (swarm mode), the compose project, or neither, and
 * then why not.
 */
export type DiscoveryScope =
  | { stack: string; project: null }
  | { stack: null; project: string }
  | { stack: null; project: null; reason: string };

/**
 * The swarm stack or compose project of this service's own container, found by its id (Docker sets
 * HOSTNAME to it), so that each copy of the assembly on one engine or swarm (`docker-compose -p NAME up`,
 * `docker stack deploy … NAME`) sees only its own containers. A stack's label wins: in swarm mode the
 * service reports the stack's tasks instead of this engine's containers. Outside Docker (`npm start`),
 * or without either label, there is none.
 */
export async function ownProject(api: DockerApi, ownContainerId: string | undefined, signal: AbortSignal): Promise<DiscoveryScope> {
  const unscoped = (reason: string) => ({ stack: null, project: null, reason });
  if (!ownContainerId) return unscoped('HOSTNAME is unset, so there is no container id to look up');
  const own = await api.inspectContainer(ownContainerId, signal);
  if (!own) return unscoped(`no container has the id ${ownContainerId} (not running in Docker?)`);
  const labels = own.Config?.Labels ?? {};
  const stack = labels[STACK_LABEL];
  if (stack) return { stack, project: null };
  const project = labels[PROJECT_LABEL];
  return project ? { stack: null, project } : unscoped(`container ${ownContainerId} has no ${PROJECT_LABEL} label`);
}
