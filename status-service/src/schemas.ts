import { z } from 'zod';
import 'zod-openapi';

/** The one definition of every shape the service reads or answers: validation, types and OpenAPI come from here. */

export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
export const HEALTH_STATES = ['healthy', 'unhealthy', 'starting', 'none'] as const;
export const GATEWAY_STATES = ['UP', 'DOWN', 'NOT_ROUTED'] as const;
/** Why a container is not serving, in the uptime history: its Docker state, or how the gateway sees it. */
export const DOWN_STATES = ['exited', 'killed', 'dead', 'paused', 'restarting', 'created', 'removing', 'unhealthy', 'gateway-down', 'not-routed'] as const;

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

export const HistoryQuery = z.strictObject(
  {
    appName: AppName.optional(),
    id: ContainerIdPrefix.optional(),
    since: z.iso
      .datetime({ offset: true, error: 'must be a date and time in ISO 8601 with a time zone, e.g. 2026-12-04T08:00:00Z' })
      .optional()
      .meta({ description: 'Start of the window, e.g. `2026-12-04T08:00:00Z`; the last 24 h when absent. At most STATUS_HISTORY_DAYS back, not in the future.' }),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown parameter; allowed: appName, id, since` : undefined) },
);

export const Incident = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime().nullable().meta({ description: 'Null while it lasts.' }),
    state: z.enum(DOWN_STATES).meta({
      description: 'What began it: a Docker state (`killed`: exited on a signal, exit code over 128), `unhealthy` (Docker\'s health check), `gateway-down` (the gateway\'s health check), `not-routed` (running, but the gateway does not route to it).',
    }),
    exitCode: z.int().nullable(),
    reason: z.string().meta({ example: 'killed by signal 9 (exit code 137)' }),
  })
  .meta({ id: 'Incident', description: 'A time the container was not up (running, and routed where the gateway routes its app).' });

export const Availability = z.number().min(0).max(1).meta({ description: 'Share of the window it was up (0–1), of the part it existed in.', example: 0.9987 });

export const UptimeReport = z
  .object({
    since: z.iso.datetime(),
    until: z.iso.datetime(),
    apps: z.record(AppName, z.object({ availability: Availability.meta({ description: "Share of its containers' time in the window that they were up." }) })),
    containers: z.array(
      z.object({
        id: z.string().meta({ description: 'Short container id.', example: '3f2a9c1b7d0e' }),
        name: z.string(),
        appName: AppName,
        observedSince: z.iso.datetime().meta({ description: "The window's start, or when the container was first seen if later." }),
        removedAt: z.iso.datetime().nullable().meta({ description: 'When it was removed; null while it exists.' }),
        availability: Availability,
        incidents: z.array(Incident).meta({ description: 'Those that overlap the window, oldest first; one that began before it is reported from its start.' }),
      }),
    ),
  })
  .meta({ id: 'UptimeReport' });
export type UptimeReport = z.output<typeof UptimeReport>;

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

export const Resources = z
  .object({
    cpuPercent: z.number().nonnegative().nullable().meta({
      description: 'CPU used since the previous sample, as `docker stats` counts it: percent of one core (up to 100 × cores); null until a second sample.',
      example: 3.4,
    }),
    memoryBytes: z.int().nonnegative().nullable().meta({ description: 'Memory in use, without the page cache the kernel may reclaim.', example: 48_234_496 }),
    memoryLimitBytes: z.int().positive().nullable().meta({ description: "The container's memory limit; the host's memory when it has none.", example: 25_217_318_912 }),
  })
  .meta({ id: 'Resources', description: "From Docker's stats, read every STATUS_STATS_INTERVAL_SECONDS; null for a container that is not running, not sampled yet, or, in swarm mode, on another node than the Docker Engine the service asks." });
export type Resources = z.output<typeof Resources>;

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
    resources: Resources.nullable(),
  })
  .meta({ id: 'ContainerStatus' });
export type ContainerStatus = z.output<typeof ContainerStatus>;
export type DockerContainer = Omit<ContainerStatus, 'gateway' | 'resources'>;

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
