import { pino, type DestinationStream, type Logger } from 'pino';
import type { Options } from 'pino-http';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The service's JSON logger: every line names the service; credentials in request headers are redacted. */
export function createLogger(service: string, level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
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
      // An error is unexpected (a bug); a 4xx or a deliberate 5xx (unavailable, an injected fault) is a warning.
      if (err) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return PROBE_PATHS.has(req.url ?? '') ? 'debug' : 'info';
    },
  };
}
