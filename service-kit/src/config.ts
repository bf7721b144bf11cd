import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `PORT`: an integer from 0 to 65535 (0 = any free port); 3000 when unset. */
export const portSchema = z
  .string()
  .regex(/^\d{1,5}$/, 'must be an integer from 0 to 65535')
  .transform(Number)
  .refine((port) => port <= 65535, 'must be an integer from 0 to 65535')
  .default(3000);

/** `METRICS_PORT`: where /metrics is served, apart from the service's own port; 9464 when unset. */
export const metricsPortSchema = portSchema.unwrap().default(9464);

/** A whole number variable from 1 to `max`; `fallback` when unset. */
export function positiveInteger(max: number, fallback: number) {
  const message = `must be an integer from 1 to ${max}`;
  return z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, message)
    .transform(Number)
    .refine((value) => value <= max, message)
    .default(fallback);
}

/** `APP_ENV`: `development` adds the development-only routes; `production` when unset. */
export const appEnvSchema = z
  .enum(['development', 'production'], 'must be "development" or "production"')
  .default('production');

/** `LOG_LEVEL`: one of pino's levels; `info` when unset. */
export const logLevelSchema = z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info');

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The environment variables a service reads, as an object schema, maybe transformed into its settings. */
type EnvSchema = z.ZodObject | z.ZodPipe<z.ZodObject, z.ZodType>;

/**
 * Reads the variables the schema names from the environment; an empty variable counts as unset. Every
 * bad value is reported at once in a ConfigError, each with the value it got, unless its schema's
 * metadata says `secret` (a URL with a password).
 */
export function readEnv<Schema extends EnvSchema>(schema: Schema, env: NodeJS.ProcessEnv): z.output<Schema> {
  const envSchema: EnvSchema = schema;
  const variables = envSchema instanceof z.ZodPipe ? envSchema.in : envSchema;
  const present = Object.fromEntries(
    Object.keys(variables.shape).flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  );
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const secret = (variables.shape[name]?.meta() as { secret?: boolean } | undefined)?.secret;
      return `${name} ${issue.message}${secret ? '' : ` (got ${JSON.stringify(present[name])})`}`;
    });
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return parsed.data as z.output<Schema>;
}
