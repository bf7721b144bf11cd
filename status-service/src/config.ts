import { appEnvSchema, logLevelSchema, portSchema, readEnv } from 'service-kit/config';
import { z } from 'zod';
import { parseDockerHost, type DockerEndpoint } from './docker-api.ts';

const EnvSchema = z.object({
  PORT: portSchema,
  APP_ENV: appEnvSchema,
  LOG_LEVEL: logLevelSchema,
  DOCKER_HOST: z
    .string()
    .refine((value) => parseDockerHost(value) !== null, 'must be unix:///path/to/socket or tcp://host:port')
    .default('unix:///var/run/docker.sock'),
  ASSEMBLY_PROJECT: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, "must be a compose project name: lower-case letters, digits, '_' or '-'")
    .optional(),
  TRAEFIK_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. http://gateway:8082' })
    .optional(),
});

export interface Config {
  port: number;
  appEnv: 'development' | 'production';
  logLevel: string;
  dockerHost: string;
  dockerEndpoint: DockerEndpoint;
  project: string | undefined;
  traefikApiUrl: string | undefined;
}

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const { PORT, APP_ENV, LOG_LEVEL, DOCKER_HOST, ASSEMBLY_PROJECT, TRAEFIK_API_URL } = readEnv(EnvSchema, env);
  return {
    port: PORT,
    appEnv: APP_ENV,
    logLevel: LOG_LEVEL,
    dockerHost: DOCKER_HOST,
    dockerEndpoint: parseDockerHost(DOCKER_HOST) as DockerEndpoint,
    project: ASSEMBLY_PROJECT,
    traefikApiUrl: TRAEFIK_API_URL,
  };
}
