import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const DEFAULT_DATA_FILE = fileURLToPath(new URL('../data/dummy-data.json', import.meta.url));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const EnvSchema = z.object({
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be an integer from 0 to 65535')
    .transform(Number)
    .refine((port) => port <= 65535, 'must be an integer from 0 to 65535')
    .default(3000),
  APP_ENV: z.enum(['development', 'production'], 'must be "development" or "production"').default('production'),
  DATA_FILE: z.string().default(DEFAULT_DATA_FILE),
  LOG_LEVEL: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const present = Object.fromEntries(
    Object.keys(EnvSchema.shape).flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  );
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name} ${issue.message} (got ${JSON.stringify(present[name])})`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const { PORT, APP_ENV, DATA_FILE, LOG_LEVEL, REPLICA_ID, FAULTS_ENABLED } = parsed.data;
  return {
    port: PORT,
    appEnv: APP_ENV,
    dataFile: DATA_FILE,
    logLevel: LOG_LEVEL,
    replicaId: REPLICA_ID,
    faultsEnabled: FAULTS_ENABLED,
  };
}
