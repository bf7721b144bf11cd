import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { appEnvSchema, logLevelSchema, portSchema, readEnv } from 'service-kit/config';
import { z } from 'zod';

export const DEFAULT_DATA_FILE = fileURLToPath(new URL('../data/dummy-data.json', import.meta.url));

const EnvSchema = z
  .object({
    PORT: portSchema,
    APP_ENV: appEnvSchema,
    DATA_FILE: z.string().default(DEFAULT_DATA_FILE),
    LOG_LEVEL: logLevelSchema,
    REPLICA_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1 to 64 letters, digits, '.', '_' or '-'")
      .default(() => hostname()),
    FAULTS_ENABLED: z
      .enum(['true', 'false'], 'must be "true" or "false"')
      .default('false')
      .transform((value) => value === 'true'),
  })
  .transform((env) => ({
    port: env.PORT,
    appEnv: env.APP_ENV,
    dataFile: env.DATA_FILE,
    logLevel: env.LOG_LEVEL,
    replicaId: env.REPLICA_ID,
    faultsEnabled: env.FAULTS_ENABLED,
  }));

export type Config = z.output<typeof EnvSchema>;

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return readEnv(EnvSchema, env);
}
