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

  /** Waits the injected delay, then tells whether this request should fail. */
  async beforeDataResponse(): Promise<'fail' | 'proceed'> {
    const { delayMs, failRate } = this.#current;
    if (delayMs > 0) await sleep(delayMs);
    return failRate > 0 && this.#random() < failRate ? 'fail' : 'proceed';
  }
}
