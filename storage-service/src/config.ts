import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { appEnvSchema, logLevelSchema, portSchema, readEnv } from 'service-kit/config';
import { z } from 'zod';

export const DEFAULT_DATA_FILE = fileURLToPath(new URL('../data/dummy-data.json', import.meta.url));
/** Inside the service's folder, git-ignored; compose puts it on a volume instead. */
export const DEFAULT_STORE_PATH = fileURLToPath(new URL('../var/storage.sqlite', import.meta.url));

/** A positive integer variable, at most `max`. */
function positiveInteger(max: number, fallback: number) {
  const message = `must be an integer from 1 to ${max}`;
  return z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, message)
    .transform(Number)
    .refine((value) => value <= max, message)
    .default(fallback);
}

/** A PostgreSQL URL; the value is never echoed back, as it may hold the password. */
const storeUrlSchema = z
  .string()
  .refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return ['postgres:', 'postgresql:'].includes(url.protocol) && url.hostname !== '' && /^\/[^/]+$/.test(url.pathname);
  }, 'must be a URL of the form postgres://user:password@host:5432/database')
  .optional()
  .meta({ secret: true });

/**
 * Connections per replica. PostgreSQL does best with about twice its cores in active connections in
 * all; on two cores with three replicas, a handful each keeps the replica's event loop fed.
 */
const DEFAULT_POOL_SIZE = 5;

const EnvSchema = z
  .object({
    PORT: portSchema,
    APP_ENV: appEnvSchema,
    DATA_FILE: z.string().default(DEFAULT_DATA_FILE),
    STORE_PATH: z.string().default(DEFAULT_STORE_PATH),
    STORE_URL: storeUrlSchema,
    STORE_POOL_SIZE: positiveInteger(1000, DEFAULT_POOL_SIZE),
    BODY_LIMIT_BYTES: positiveInteger(64 * 1024 * 1024, 1024 * 1024),
    IDEMPOTENCY_TTL_SECONDS: positiveInteger(365 * 24 * 3600, 24 * 3600),
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
    storePath: env.STORE_PATH,
    storeUrl: env.STORE_URL,
    storePoolSize: env.STORE_POOL_SIZE,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    logLevel: env.LOG_LEVEL,
    replicaId: env.REPLICA_ID,
    faultsEnabled: env.FAULTS_ENABLED,
  }));

export type Config = z.output<typeof EnvSchema>;

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return readEnv(EnvSchema, env);
}
