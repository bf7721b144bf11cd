import { PassThrough } from 'node:stream';
import type { StatusReporter } from './status-report.ts';

export interface StatusStreamOptions {
  maxClients?: number;
  /** Changes that come in a burst (a replica stopping raises several events) are sent once. */
  debounceMs?: number;
  /** A comment line now and then keeps proxies from closing a quiet stream. */
  heartbeatMs?: number;
}

/**
 * Server-sent events for the status page: every subscriber gets the full report at once and again after
 * every change. Nothing here knows HTTP; a route hands the stream to the client.
 */
export class StatusStream {
  readonly #reporter: StatusReporter;
  readonly #clients = new Set<PassThrough>();
  readonly #maxClients: number;
  readonly #debounceMs: number;
  readonly #heartbeat: NodeJS.Timeout;
  #pending: NodeJS.Timeout | undefined;

  constructor(reporter: StatusReporter, { maxClients = 100, debounceMs = 50, heartbeatMs = 15_000 }: StatusStreamOptions = {}) {
    this.#reporter = reporter;
    this.#maxClients = maxClients;
    this.#debounceMs = debounceMs;
    this.#heartbeat = setInterval(() => this.#send(': keep-alive\n\n'), heartbeatMs);
    this.#heartbeat.unref();
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** A new subscriber's stream, or null when the limit of subscribers is reached. */
  subscribe(): PassThrough | null {
    if (this.#clients.size >= this.#maxClients) return null;
    const client = new PassThrough();
    this.#clients.add(client);
    client.on('close', () => this.#clients.delete(client));
    client.write(`retry: 2000\n${this.#event()}`);
    return client;
  }

  changed(): void {
    this.#pending ??= setTimeout(() => {
      this.#pending = undefined;
      this.#send(this.#event());
    }, this.#debounceMs);
  }

  /** Ends every stream, so a shutdown does not wait for browsers to hang up. */
  close(): void {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#pending);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #event(): string {
    return `event: status\ndata: ${JSON.stringify(this.#reporter.report())}\n\n`;
  }

  #send(text: string): void {
    for (const client of this.#clients) client.write(text);
  }
}
