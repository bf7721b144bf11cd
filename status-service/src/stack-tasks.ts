import { APP_LABEL, STACK_LABEL } from './container-status.ts';
import type { ObservedContainer } from './container-view.ts';
import type { DockerApi, SwarmTask } from './docker-api.ts';
import { observeTask } from './task-status.ts';

/** One Docker call, given up on when the caller decides (its timeout, the end of its connection). */
export type DockerCall = <T>(call: (signal: AbortSignal) => Promise<T>) => Promise<T>;

/** The task whose status changed last; `tasks` is never empty. */
function newest(tasks: SwarmTask[]): SwarmTask {
  const time = (task: SwarmTask) => Date.parse(task.Status?.Timestamp ?? '');
  return tasks.reduce((newer, task) => (time(task) > time(newer) ? task : newer));
}

/**
 * Which of a stack's tasks /status reports. Per replica slot (per node, for a global service): the
 * tasks meant to run, two while a start-first update replaces one; while none is, the newest, so that a
 * replica that was killed or failed shows as exited, with its exit code, until its replacement has a
 * container. Tasks without a container are not counted, and only the assembly's are reported: those
 * whose containers carry the `assembly.app` label.
 */
export function reportedTasks(tasks: SwarmTask[]): SwarmTask[] {
  const slots = new Map<string, SwarmTask[]>();
  for (const task of tasks) {
    if (!task.Status?.ContainerStatus?.ContainerID) continue;
    const slot = `${task.ServiceID} ${task.Slot || task.NodeID}`;
    slots.set(slot, [...(slots.get(slot) ?? []), task]);
  }
  return [...slots.values()]
    .flatMap((slot) => {
      const meantToRun = slot.filter((task) => task.DesiredState === 'running');
      return meantToRun.length > 0 ? meantToRun : [newest(slot)];
    })
    .filter((task) => !!task.Spec?.ContainerSpec?.Labels?.[APP_LABEL]);
}

/**
 * The tasks of one swarm stack as /status reports them, asked of the swarm's API: the stack's services
 * by their namespace label, their tasks in one call, and the hostname of each node the tasks are on,
 * asked once per node (a node keeps its hostname while it is in the swarm).
 */
export class StackTasks {
  readonly stack: string;
  readonly #api: DockerApi;
  readonly #hostnames = new Map<string, string>();

  constructor(api: DockerApi, stack: string) {
    this.#api = api;
    this.stack = stack;
  }

  /** The stack's tasks now; null when a service went away between the two calls, so the answer is not whole. */
  async list(call: DockerCall): Promise<ObservedContainer[] | null> {
    const services = await call((signal) => this.#api.listServices([`${STACK_LABEL}=${this.stack}`], signal));
    // Without a service to filter by, Docker would list every task of the swarm.
    if (services.length === 0) return [];
    const tasks = await call((signal) => this.#api.listTasks(services.map((service) => service.ID), signal));
    if (!tasks) return null;
    const serviceNames = new Map(services.map((service) => [service.ID, service.Spec?.Name ?? service.ID]));
    const reported = reportedTasks(tasks);
    await this.#learnHostnames(reported, call);
    return reported.flatMap((task) => {
      const node = task.NodeID ?? '';
      return observeTask(task, serviceNames.get(task.ServiceID) ?? task.ServiceID, this.#hostnames.get(node) ?? node) ?? [];
    });
  }

  /** Asks for each node not met before, at once; one the swarm does not know (it left) is named by its id, and asked again next time. */
  async #learnHostnames(tasks: SwarmTask[], call: DockerCall): Promise<void> {
    const unknown = new Set(tasks.map((task) => task.NodeID).filter((id): id is string => !!id && !this.#hostnames.has(id)));
    const nodes = await Promise.all([...unknown].map((id) => call((signal) => this.#api.inspectNode(id, signal))));
    for (const node of nodes) {
      const hostname = node?.Description?.Hostname;
      if (node && hostname) this.#hostnames.set(node.ID, hostname);
    }
  }
}
