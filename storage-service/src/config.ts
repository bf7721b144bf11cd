import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { appEnvSchema, LOG_LEVELS, logLevelSchema, portSchema, readEnv } from 'service-kit/config';
import { z } from 'zod';

export const DEFAULT_DATA_FILE = fileURLToPath(new URL('../data/dummy-data.json', import.meta.url));

const EnvSchema = z.object({
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
});

export interface Config {
  port: number;
  appEnv: 'development' | 'production';
  dataFile: string;
  logLevel: (typeof LOG_LEVELS)[number];
  replicaId: string;
  faultsEnabled: boolean;
}

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const { PORT, APP_ENV, DATA_FILE, LOG_LEVEL, REPLICA_ID, FAULTS_ENABLED } = readEnv(EnvSchema, env);
  return {
    port: PORT,
    appEnv: APP_ENV,
    dataFile: DATA_FILE,
    logLevel: LOG_LEVEL,
    replicaId: REPLICA_ID,
    faultsEnabled: FAULTS_ENABLED,
  };
}
