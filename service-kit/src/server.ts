import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createGracefulServer, type ShutdownOptions } from './lifecycle.ts';

/** Start-up failures are the operator's to fix: one plain line on stderr and a non-zero exit, no stack. */
export function exitWith(service: string, message: string): never {
  process.stderr.write(`${service}: ${message}\n`);
  process.exit(1);
}

/** Longer than the gateway's idle timeout, so the gateway, not this side, closes idle connections. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface StartServerOptions {
  service: string;
  handler: RequestListener;
  port: number;
  logger: Logger;
  /** What the "listening" log line tells besides the port. */
  listeningFields?: Record<string, unknown>;
  beforeClose?: ShutdownOptions['beforeClose'];
}

/**
 * Serves `handler` on `port` until SIGTERM/SIGINT, then stops gracefully. A port that cannot be bound
 * ends the process with one plain line, as any other start-up failure.
 */
export function startServer({ service, handler, port, logger, listeningFields = {}, beforeClose }: StartServerOptions): void {
  const server = createGracefulServer(handler, logger, { beforeClose });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('error', (err: NodeJS.ErrnoException) => exitWith(service, `cannot listen on port ${port}: ${err.code ?? err.message}`));
  server.listen(port, () => {
    const { port: bound } = server.address() as AddressInfo;
    logger.info({ port: bound, ...listeningFields }, 'listening');
  });
}
