import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { appEnvSchema, logLevelSchema, metricsPortSchema, portSchema, positiveInteger, readEnv } from 'service-kit/config';
import { z } from 'zod';

export const DEFAULT_DATA_FILE = fileURLToPath(new URL('../data/dummy-data.json', import.meta.url));
/** Inside the service's folder, git-ignored; compose puts it on a volume instead. */
export const DEFAULT_STORE_PATH = fileURLToPath(new URL('../var/storage.sqlite', import.meta.url));

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
 * The database password from a file (a Docker secret, /run/secrets/…), so that it is never in the
 * environment, where `docker inspect` shows it. One trailing newline is not part of it.
 */
const passwordFileSchema = z
  .string()
  .transform((path, ctx) => {
    let password: string;
    try {
      password = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      ctx.addIssue(`cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return z.NEVER;
    }
    if (password === '') ctx.addIssue('names an empty file');
    return password;
  })
  .optional();

/**
 * Connections per replica. PostgreSQL does best with about twice its cores in active connections in
 * all; on two cores with three replicas, a handful each keeps the replica's event loop fed.
 */
const DEFAULT_POOL_SIZE = 5;

const EnvSchema = z
  .object({
    PORT: portSchema,
    METRICS_PORT: metricsPortSchema,
    // gRPC (proto/assembly/storage/v1/storage.proto) over h2c, beside the HTTP API on PORT.
    GRPC_PORT: portSchema.unwrap().default(50051),
    APP_ENV: appEnvSchema,
    DATA_FILE: z.string().default(DEFAULT_DATA_FILE),
    STORE_PATH: z.string().default(DEFAULT_STORE_PATH),
    STORE_URL: storeUrlSchema,
    STORE_PASSWORD_FILE: passwordFileSchema,
    STORE_POOL_SIZE: positiveInteger(1000, DEFAULT_POOL_SIZE),
    BODY_LIMIT_BYTES: positiveInteger(64 * 1024 * 1024, 1024 * 1024),
    IDEMPOTENCY_TTL_SECONDS: positiveInteger(365 * 24 * 3600, 24 * 3600),
    LOG_LEVEL: logLevelSchema,
    REPLICA_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1 to 64 letters, digits, '.', '_' or '-'")
      .default(() => hostname()),
    // 0 (close at once) unless the gateway learns of a stopping replica late: on Swarm it polls for tasks.
    SHUTDOWN_DRAIN_MS: z
      .string()
      .regex(/^\d{1,6}$/, 'must be an integer from 0 to 600000')
      .transform(Number)
      .refine((value) => value <= 600_000, 'must be an integer from 0 to 600000')
      .default(0),
    FAULTS_ENABLED: z
      .enum(['true', 'false'], 'must be "true" or "false"')
      .default('false')
      .transform((value) => value === 'true'),
  })
  .superRefine((env, ctx) => {
    if (env.STORE_PASSWORD_FILE === undefined) return;
    if (!env.STORE_URL) ctx.addIssue({ code: 'custom', path: ['STORE_PASSWORD_FILE'], message: 'needs STORE_URL (the password is for PostgreSQL)' });
    else if (new URL(env.STORE_URL).password) ctx.addIssue({ code: 'custom', path: ['STORE_PASSWORD_FILE'], message: 'is set, and STORE_URL holds a password too: keep it in one place' });
  })
  .transform((env) => ({
    port: env.PORT,
    metricsPort: env.METRICS_PORT,
    grpcPort: env.GRPC_PORT,
    appEnv: env.APP_ENV,
    dataFile: env.DATA_FILE,
    storePath: env.STORE_PATH,
    storeUrl: withPassword(env.STORE_URL, env.STORE_PASSWORD_FILE),
    storePoolSize: env.STORE_POOL_SIZE,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    logLevel: env.LOG_LEVEL,
    replicaId: env.REPLICA_ID,
    shutdownDrainMs: env.SHUTDOWN_DRAIN_MS,
    faultsEnabled: env.FAULTS_ENABLED,
  }));

function withPassword(storeUrl: string | undefined, password: string | undefined): string | undefined {
  if (!storeUrl || password === undefined) return storeUrl;
  const url = new URL(storeUrl);
  url.password = encodeURIComponent(password);
  return url.toString();
}

export type Config = z.output<typeof EnvSchema>;

/** Reads the service's settings from the environment once; an empty variable counts as unset. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  return readEnv(EnvSchema, env);
}
