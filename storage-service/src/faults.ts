import { setTimeout as sleep } from 'node:timers/promises';
import type { Faults } from './schemas.ts';

export const NO_FAULTS: Faults = Object.freeze({ delayMs: 0, failRate: 0, unhealthy: false });

/** The faults this replica currently pretends to have, for failure demos and tests. */
export class FaultInjector {
  #current: Faults = NO_FAULTS;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  get current(): Faults {
    return this.#current;
  }

  set(faults: Faults): void {
    this.#current = Object.freeze({ ...faults });
  }

  clear(): void {
    this.#current = NO_FAULTS;
  }

  get unhealthy(): boolean {
    return this.#current.unhealthy;
  }

  /**
   * Before a data request (HTTP) or call (gRPC) does any work: waits the injected delay, then fails a
   * share of them (failRate) with InjectedFault.
   */
  async beforeDataResponse(replicaId: string): Promise<void> {
    const { delayMs, failRate } = this.#current;
    if (delayMs > 0) await sleep(delayMs);
    if (failRate > 0 && this.#random() < failRate) {
      throw new InjectedFault(`Replica ${replicaId} failed this request on purpose (fault injection, failRate ${failRate}).`);
    }
  }
}

/** A request this replica fails on purpose (failRate): answered as the failure of a server, never of the client. */
export class InjectedFault extends Error {
  override name = 'InjectedFault';
}
