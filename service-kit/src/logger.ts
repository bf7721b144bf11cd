import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import type { Options } from 'pino-http';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The service's JSON logger: every line names the service. Lines go to stdout asynchronously: a request
 * queues its line and does not wait for the write (the synchronous write cost a replica about a quarter
 * of its read throughput, BENCHMARKS.md). On exit, graceful or not, pino writes what is queued; only a
 * killed process (SIGKILL) can lose its last lines, never data.
 */
export function createLogger(service: string, level: string, destination: DestinationStream = pino.destination({ sync: false })): Logger {
  return pino({ level, base: { service } }, destination);
}

/** Methods that change nothing: a read that went well is in the gateway's access log already. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * One line per request with what a reader needs to follow it (id, method, path, status, time), and no
 * headers: credentials and cookies never reach the log, and the line costs a fraction of pino-http's
 * default (which serialises every request and response header, on the hot path of every replica).
 */
const requestLogSerializers = {
  req: (req: IncomingMessage & { id?: string }) => ({ id: req.id, method: req.method, url: req.url }),
  res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
  err: stdSerializers.err,
};

export function requestLogOptions(logger: Logger): Options {
  return {
    logger,
    serializers: requestLogSerializers,
    // The serializers above take Node's own request and response; pino-http's wrappers would first copy them into plain objects.
    wrapSerializers: false,
    customLogLevel: (req: IncomingMessage, res: ServerResponse, err?: Error) => {
      // An error is unexpected (a bug); a 4xx or a deliberate 5xx (unavailable, an injected fault) is a warning.
      if (err) return 'error';
      if (res.statusCode >= 400) return 'warn';
      // A write that took effect is worth a line of its own. A read that went well, and every health
      // probe, only at debug: the gateway's access log has a line for every request, with the request id
      // and the replica that answered (X-Request-Id, X-Replica-Id), and a line per read here cost a
      // replica about a sixth of its read throughput (BENCHMARKS.md, storage-vs-bare).
      return READS.has(req.method ?? '') ? 'debug' : 'info';
    },
  };
}
