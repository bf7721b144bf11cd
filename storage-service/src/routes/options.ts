import type { FaultInjector } from '../faults.ts';

/** What the routes over the store need besides it. */
export interface StoreRouteOptions {
  /** Present only when fault injection is enabled. */
  faults: FaultInjector | undefined;
  replicaId: string;
  /** Larger request bodies are answered 413. */
  bodyLimitBytes: number;
}
