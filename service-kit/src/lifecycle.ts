import { once } from 'node:events';
import type { Server, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export interface ShutdownOptions {
  /** How long requests in flight may take to finish; 8 s keeps the exit within Docker's 10 s stop timeout. */
  graceMs?: number;
  /** Ends what never finishes by itself (live streams, background watchers) before the server closes. */
  beforeClose?: () => Promise<void> | void;
}

/**
 * Stops gracefully on SIGTERM/SIGINT: no new connections, requests in flight finish, keep-alive
 * connections close as soon as they are idle, and the process exits 0. Whatever is still running
 * after `graceMs` is cut off so the exit happens well within Docker's 10 s stop timeout.
 */
export function exitGracefullyOnSignals(server: Server, logger: Logger, { graceMs = 8_000, beforeClose }: ShutdownOptions = {}): void {
  let closing = false;
  const inFlight = new Set<ServerResponse>();

  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight.delete(res);
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
  });

  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    // Answers still to be written tell their clients to reconnect elsewhere rather than reuse this connection.
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    try {
      await beforeClose?.();
    } catch (err) {
      logger.warn({ err }, 'shutdown step failed; closing anyway');
    }
    const closed = once(server, 'close');
    server.close();
    server.closeIdleConnections();
    const timer = setTimeout(() => {
      logger.warn({ graceMs }, 'requests still in flight after the grace period: closing their connections');
      server.closeAllConnections();
    }, graceMs);
    timer.unref();
    await closed;
    logger.info('stopped');
    process.exit(0);
  };

  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
