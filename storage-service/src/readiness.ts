import type { FaultInjector } from './faults.ts';
import type { Store } from './store/store.ts';

export interface Readiness {
  storeReachable: boolean;
  /** The store answers and no injected fault says otherwise. */
  healthy: boolean;
  /** Healthy and not draining: what /healthz's 200 and gRPC's SERVING say. */
  ready: boolean;
}

/** Whether the replica should get requests now: the one answer both APIs' health checks give. */
export async function readiness(store: Store, faults: FaultInjector | undefined, draining: () => boolean): Promise<Readiness> {
  const storeReachable = await store.ping().then(
    () => true,
    () => false,
  );
  const healthy = storeReachable && !(faults?.unhealthy ?? false);
  return { storeReachable, healthy, ready: healthy && !draining() };
}
