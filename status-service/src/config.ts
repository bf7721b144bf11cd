import { fileURLToPath } from 'node:url';
import { appEnvSchema, logLevelSchema, metricsPortSchema, portSchema, positiveInteger, readEnv } from 'service-kit/config';
import { z } from 'zod';
import { parseDockerHost, type DockerEndpoint } from './docker-api.ts';

/** Inside the service's folder, git-ignored; compose puts it on the volume status-data instead. */
export const DEFAULT_HISTORY_PATH = fileURLToPath(new URL('../var/history.sqlite', import.meta.url));

const EnvSchema = z
  .object({
    PORT: portSchema,
    METRICS_PORT: metricsPortSchema,
    APP_ENV: appEnvSchema,
    LOG_LEVEL: logLevelSchema,
    DOCKER_HOST: z
      .string()
      .refine((value) => parseDockerHost(value) !== null, 'must be unix:///path/to/socket or tcp://host:port')
      .default('unix:///var/run/docker.sock'),
    TRAEFIK_API_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://gateway:8082' })
      .optional(),
    STATUS_HISTORY_PATH: z.string().default(DEFAULT_HISTORY_PATH),
    STATUS_HISTORY_DAYS: positiveInteger(3650, 7),
    STATUS_STATS_INTERVAL_SECONDS: positiveInteger(3600, 10),
    // Docker sets it to the container's short id: how the service finds its own container, and so its compose project or swarm stack.
    HOSTNAME: z.string().optional(),
    // docker-stack.yml sets it (Swarm fills in the stack's name): swarm mode without looking up the own container.
    STACK_NAMESPACE: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must be a stack name: letters, digits, '_', '.', '-'")
      .optional(),
  })
  .transform((env) => ({
    port: env.PORT,
    metricsPort: env.METRICS_PORT,
    appEnv: env.APP_ENV,
    logLevel: env.LOG_LEVEL,
    dockerHost: env.DOCKER_HOST,
    dockerEndpoint: parseDockerHost(env.DOCKER_HOST) as DockerEndpoint,
    traefikApiUrl: env.TRAEFIK_API_URL,
    historyPath: env.STATUS_HISTORY_PATH,
    historyDays: env.STATUS_HISTORY_DAYS,
    statsIntervalMs: env.STATUS_STATS_INTERVAL_SECONDS * 1000,
    ownContainerId: env.HOSTNAME,
    stackNamespace: env.STACK_NAMESPACE,
  }));

export type Config = z.output<typeof EnvSchema>;

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return readEnv(EnvSchema, env);
}
