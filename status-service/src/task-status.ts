import { APP_LABEL, shortId, timestamp } from './container-status.ts';
import type { ObservedContainer } from './container-view.ts';
import type { SwarmTask } from './docker-api.ts';
import type { DockerContainer } from './schemas.ts';

type State = DockerContainer['state'];

/** The task states before its container runs: being scheduled, its image pulled, its container created. */
const NOT_STARTED = new Set(['new', 'pending', 'assigned', 'accepted', 'ready', 'preparing']);
/** The task states after its container ran, or instead of running it. */
const ENDED = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove']);
/** Ended states in which the container stopped, on its own or when told to: Docker leaves out its exit code when it is 0. */
const STOPPED = new Set(['complete', 'shutdown']);

/** A state this code does not know (a newer Docker's) is `dead`, as for a container. */
function stateOf(taskState: string): State {
  // Swarm keeps a task `starting` until its container's health check first passes: it runs already.
  if (taskState === 'running' || taskState === 'starting') return 'running';
  if (NOT_STARTED.has(taskState)) return 'created';
  return ENDED.has(taskState) ? 'exited' : 'dead';
}

/** Whether the task's container has a health check of its own; swarm then calls it running only once it passes. */
function hasHealthCheck(task: SwarmTask): boolean {
  const test = task.Spec?.ContainerSpec?.Healthcheck?.Test ?? [];
  return test.length > 0 && test[0] !== 'NONE';
}

function exitCodeOf(task: SwarmTask, taskState: string): number | null {
  return task.Status?.ContainerStatus?.ExitCode ?? (STOPPED.has(taskState) ? 0 : null);
}

/**
 * The status of one task's container, as /status reports a container: its name is the one Docker gives
 * it (`service.slot.task`, or `service.node.task` for a global service), its replica the task's slot,
 * its node the hostname of the node it is on. Null for a task that has no container yet.
 */
export function observeTask(task: SwarmTask, serviceName: string, node: string): ObservedContainer | null {
  const containerId = task.Status?.ContainerStatus?.ContainerID;
  if (!containerId) return null;
  const taskState = task.Status?.State ?? '';
  const state = stateOf(taskState);
  const at = timestamp(task.Status?.Timestamp);
  const spec = task.Spec?.ContainerSpec;
  const healthCheck = hasHealthCheck(task);
  return {
    fullId: containerId,
    hasHealthCheck: healthCheck,
    container: {
      id: shortId(containerId),
      name: `${serviceName}.${task.Slot || task.NodeID}.${task.ID}`,
      appName: spec?.Labels?.[APP_LABEL] ?? '',
      replica: task.Slot || null,
      state,
      health: taskState === 'starting' ? 'starting' : state === 'running' && healthCheck ? 'healthy' : 'none',
      startedAt: state === 'running' ? at : null,
      finishedAt: state === 'exited' ? at : null,
      restartCount: 0,
      exitCode: state === 'exited' ? exitCodeOf(task, taskState) : null,
      // As the stack file names it, like a container's image: swarm pins it to a digest, which only makes it longer.
      image: (spec?.Image ?? '').replace(/@sha256:[0-9a-f]+$/, ''),
      addresses: (task.NetworksAttachments ?? [])
        .flatMap((attachment) => attachment.Addresses ?? [])
        .map((address) => address.replace(/\/\d+$/, ''))
        .sort(),
      node,
    },
  };
}
