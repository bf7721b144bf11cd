import { z } from 'zod';
import 'zod-openapi';

/** The one definition of every shape the service reads or answers: validation, types and OpenAPI come from here. */

export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
export const HEALTH_STATES = ['healthy', 'unhealthy', 'starting', 'none'] as const;
export const GATEWAY_STATES = ['UP', 'DOWN', 'NOT_ROUTED'] as const;

export const AppName = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, "must be lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
  .meta({ id: 'AppName', description: 'Value of the `assembly.app` label.', example: 'storage' });

export const ContainerIdPrefix = z
  .string()
  .max(64, 'must be at most 64 characters')
  .regex(/^[0-9a-f]+$/, 'must be a container id or a prefix of one (lower-case hex digits)')
  .meta({ id: 'ContainerIdPrefix', example: '3f2a9c1b' });

export const StatusQuery = z.strictObject(
  {
    appName: AppName.optional(),
    id: ContainerIdPrefix.optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown parameter; allowed: appName, id` : undefined) },
);

export const UnavailableParams = z.object({ appName: AppName });
export const GatewayAnswerParams = z.object({
  status: z.enum(['401', '404', '429'], 'must be 401, 404 or 429').meta({ description: 'The status of the answer the gateway makes itself.' }),
});
export type GatewayAnswerParams = z.output<typeof GatewayAnswerParams>;

export const GatewayRouting = z
  .object({
    status: z.enum(GATEWAY_STATES).meta({
      description: 'UP/DOWN: what the gateway\'s health check says of this container; NOT_ROUTED: the gateway sends it no traffic.',
    }),
    service: z.string().nullable().meta({ description: "The gateway's service that routes to it.", example: 'storage@docker' }),
    url: z.string().nullable().meta({ example: 'http://172.20.0.3:3000' }),
  })
  .meta({ id: 'GatewayRouting', description: "How the gateway sees the container; null when the gateway's API is not configured or not reachable." });
export type GatewayRouting = z.output<typeof GatewayRouting>;

export const ContainerStatus = z
  .object({
    id: z.string().meta({ description: 'Short container id (12 hex digits).', example: '3f2a9c1b7d0e' }),
    name: z.string().meta({ example: 'assembly_storage_1' }),
    appName: AppName,
    replica: z.int().nullable().meta({ description: "Compose's container number or, in swarm mode, the task's slot; null otherwise (started without compose, or a task of a global service)." }),
    state: z.enum(CONTAINER_STATES),
    health: z.enum(HEALTH_STATES).meta({ description: 'Docker health check result while running or paused; `none` otherwise.' }),
    startedAt: z.iso.datetime().nullable(),
    finishedAt: z.iso.datetime().nullable(),
    restartCount: z.int().nonnegative(),
    exitCode: z.int().nullable().meta({ description: 'Exit code of the last run; null while it has never stopped or while running.' }),
    image: z.string(),
    addresses: z.array(z.string()).meta({ description: 'IP addresses on its networks.' }),
    node: z.string().nullable().meta({
      description: "Swarm mode: the hostname of the node the task's container is on (its id if the node has left the swarm); null outside swarm mode.",
      example: 'worker-1',
    }),
    gateway: GatewayRouting.nullable(),
  })
  .meta({ id: 'ContainerStatus' });
export type ContainerStatus = z.output<typeof ContainerStatus>;
export type DockerContainer = Omit<ContainerStatus, 'gateway'>;

export const AppSummary = z
  .object({
    total: z.int().nonnegative(),
    running: z.int().nonnegative(),
    healthy: z.int().nonnegative().meta({ description: 'Running and healthy (or running without a health check).' }),
  })
  .meta({ id: 'AppSummary' });
export type AppSummary = z.output<typeof AppSummary>;

export const DockerConnection = z
  .object({
    reachable: z.boolean(),
    endpoint: z.string().meta({ example: 'unix:///var/run/docker.sock' }),
    since: z.iso.datetime().meta({ description: 'Since when it has been reachable (or not).' }),
    lastSyncAt: z.iso.datetime().nullable().meta({ description: 'Last full listing of the containers.' }),
    error: z.string().nullable().meta({ description: 'Why it is unreachable.' }),
  })
  .meta({ id: 'DockerConnection' });
export type DockerConnection = z.output<typeof DockerConnection>;

export const StatusReport = z
  .object({
    observedAt: z.iso.datetime(),
    docker: DockerConnection,
    gateway: z
      .object({ reachable: z.boolean(), url: z.string().nullable() })
      .meta({ description: "Whether the gateway's API answered; url is null when not configured." }),
    apps: z.record(AppName, AppSummary),
    containers: z.array(ContainerStatus),
  })
  .meta({ id: 'StatusReport' });
export type StatusReport = z.output<typeof StatusReport>;

export const SingleContainerReport = z
  .object({ observedAt: z.iso.datetime(), docker: DockerConnection, container: ContainerStatus })
  .meta({ id: 'SingleContainerReport' });

export const Health = z
  .object({
    status: z.enum(['ok', 'degraded']).meta({ description: '`degraded` while the Docker Engine is unreachable.' }),
    docker: z.object({ reachable: z.boolean(), error: z.string().nullable() }),
    uptimeSeconds: z.int().nonnegative(),
  })
  .meta({ id: 'Health' });
export type Health = z.output<typeof Health>;
