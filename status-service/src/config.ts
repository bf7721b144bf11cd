import { appEnvSchema, logLevelSchema, portSchema, readEnv } from 'service-kit/config';
import { z } from 'zod';
import { parseDockerHost, type DockerEndpoint } from './docker-api.ts';

const EnvSchema = z
  .object({
    PORT: portSchema,
    APP_ENV: appEnvSchema,
    LOG_LEVEL: logLevelSchema,
    DOCKER_HOST: z
      .string()
      .refine((value) => parseDockerHost(value) !== null, 'must be unix:///path/to/socket or tcp://host:port')
      .default('unix:///var/run/docker.sock'),
    TRAEFIK_API_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://gateway:8082' })
      .optional(),
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
    appEnv: env.APP_ENV,
    logLevel: env.LOG_LEVEL,
    dockerHost: env.DOCKER_HOST,
    dockerEndpoint: parseDockerHost(env.DOCKER_HOST) as DockerEndpoint,
    traefikApiUrl: env.TRAEFIK_API_URL,
    ownContainerId: env.HOSTNAME,
    stackNamespace: env.STACK_NAMESPACE,
  }));

export type Config = z.output<typeof EnvSchema>;

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return readEnv(EnvSchema, env);
}
