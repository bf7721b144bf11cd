import { pino, type DestinationStream, type Logger } from 'pino';
import type { Options } from 'pino-http';
import type { IncomingMessage, ServerResponse } from 'node:http';

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'storage-service' },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
    destination,
  );
}

/** Probes arrive every few seconds from Traefik and Docker: they are logged only at debug level. */
const PROBE_PATHS = new Set(['/healthz', '/health']);

export function requestLogOptions(logger: Logger): Options {
  return {
    logger,
    customLogLevel: (req: IncomingMessage, res: ServerResponse, err?: Error) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return PROBE_PATHS.has(req.url ?? '') ? 'debug' : 'info';
    },
  };
}
