import type { Logger } from 'pino';
import type { StatusReporter } from './status-report.ts';
import { conditionOf, routedApps } from './uptime-condition.ts';
import type { UptimeHistory } from './uptime-history.ts';

const HOUR_MS = 3_600_000;

/**
 * Writes what the live view shows into the uptime history: at every change of the view or of the
 * gateway's, each container's condition (only changes are stored), and the removal of those gone. While
 * the Docker Engine is unreachable nothing is recorded: the view is then only the last one known.
 */
export class UptimeRecorder {
  readonly #reporter: StatusReporter;
  readonly #history: UptimeHistory;
  readonly #logger: Logger;
  readonly #now: () => number;
  #pruning: NodeJS.Timeout | undefined;

  constructor(reporter: StatusReporter, history: UptimeHistory, logger: Logger, now: () => number = Date.now) {
    this.#reporter = reporter;
    this.#history = history;
    this.#logger = logger;
    this.#now = now;
  }

  record(): void {
    if (!this.#reporter.docker.reachable) return;
    const { containers } = this.#reporter.report();
    const routed = routedApps(containers);
    const at = this.#now();
    try {
      this.#history.observe(
        containers.map((container) => ({
          container,
          condition: conditionOf(container, routed),
          // An exit seen late (after a reconnect) began when Docker says the container finished.
          since: container.state === 'running' || !container.finishedAt ? null : Date.parse(container.finishedAt),
        })),
        at,
      );
      this.#history.removeAllBut(new Set(containers.map((container) => container.id)), at);
    } catch (err) {
      this.#logger.error({ err }, 'the uptime history could not be written');
    }
  }

  /** Prunes what is past the retention now and every hour. */
  startPruning(): void {
    const prune = () => {
      try {
        this.#history.prune(this.#now());
      } catch (err) {
        this.#logger.error({ err }, 'the uptime history could not be pruned');
      }
    };
    prune();
    this.#pruning = setInterval(prune, HOUR_MS);
    this.#pruning.unref();
  }

  stop(): void {
    clearInterval(this.#pruning);
  }
}
