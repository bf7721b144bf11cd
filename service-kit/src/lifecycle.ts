import { once } from 'node:events';
import { createServer, ServerResponse, type OutgoingHttpHeader, type OutgoingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { Logger } from 'pino';

export interface ShutdownOptions {
  /** How long requests in flight may take to finish; 8 s keeps the exit within Docker's 10 s stop timeout. */
  graceMs?: number;
  /** Ends what never finishes by itself (live streams, background watchers) before the server closes. */
  beforeClose?: () => Promise<void> | void;
}

/** While closing, how often connections whose last answer has gone out are closed. */
const IDLE_SWEEP_MS = 50;

/**
 * An HTTP server that stops gracefully on SIGTERM/SIGINT: no new connections, requests in flight finish,
 * keep-alive connections close as soon as they are idle, and the process exits 0. Whatever is still
 * running after `graceMs` is cut off so the exit happens well within Docker's 10 s stop timeout.
 *
 * Nothing is done per request while the server runs: the answers learn of the shutdown when their
 * headers are written (a ServerResponse of our own), not from a list of requests in flight, whose
 * bookkeeping (a set and a listener per request) showed in a replica's read throughput (BENCHMARKS.md).
 */
export function createGracefulServer(handler: RequestListener, logger: Logger, { graceMs = 8_000, beforeClose }: ShutdownOptions = {}): Server {
  let closing = false;

  // An answer whose headers are written once the shutdown began tells its client not to reuse the
  // connection (it reconnects elsewhere), and Node closes the connection when the answer is sent.
  type Headers = OutgoingHttpHeaders | OutgoingHttpHeader[];
  class ClosingAwareResponse extends ServerResponse {
    override writeHead(statusCode: number, messageOrHeaders?: string | Headers, headers?: Headers): this {
      if (closing) this.setHeader('Connection', 'close');
      return typeof messageOrHeaders === 'string' ? super.writeHead(statusCode, messageOrHeaders, headers) : super.writeHead(statusCode, messageOrHeaders);
    }
  }
  const server = createServer({ ServerResponse: ClosingAwareResponse }, handler);

  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing requests in flight');
    try {
      await beforeClose?.();
    } catch (err) {
      logger.warn({ err }, 'shutdown step failed; closing anyway');
    }
    const closed = once(server, 'close');
    // close() also closes the connections that are idle now; the sweep closes those idle later (an
    // answer whose headers were sent before the shutdown still said keep-alive).
    server.close();
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const timer = setTimeout(() => {
      logger.warn({ graceMs }, 'requests still in flight after the grace period: closing their connections');
      server.closeAllConnections();
    }, graceMs);
    timer.unref();
    await closed;
    clearInterval(sweep);
    logger.info('stopped');
    process.exit(0);
  };

  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  return server;
}
