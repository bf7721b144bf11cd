import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from 'service-kit/config';
import { createLogger } from 'service-kit/logger';
import { serviceRegistry } from 'service-kit/metrics';
import { startMetricsServer } from 'service-kit/metrics-server';
import { exitWith, startServer } from 'service-kit/server';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { DataFileError } from './data-file.ts';
import { FaultInjector } from './faults.ts';
import { startGrpcServer } from './grpc/grpc-server.ts';
import { readiness } from './readiness.ts';
import { removeExpiredKeysPeriodically } from './idempotency-cleanup.ts';
import { StoreOpenError } from './store/errors.ts';
import { MeasuredStore } from './store/measured-store.ts';
import { describeStore, openStore } from './store/open-store.ts';

const SERVICE = 'storage-service';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(SERVICE, config.logLevel);
  const metrics = serviceRegistry();
  const store = new MeasuredStore(await openStore(config, logger), metrics);
  removeExpiredKeysPeriodically(store, logger, config.idempotencyTtlSeconds * 1000);
  const faults = config.faultsEnabled ? new FaultInjector() : undefined;
  let draining = false;
  const ready = async () => (await readiness(store, faults, () => draining)).ready;
  const grpc = await startGrpcServer({ store, replicaId: config.replicaId, logger, port: config.grpcPort, ready, faults });
  startServer({
    service: SERVICE,
    handler: createApp({ config, store, logger, faults, metrics, draining: () => draining }).callback(),
    port: config.port,
    logger,
    listeningFields: { grpcPort: grpc.port, replica: config.replicaId, appEnv: config.appEnv, faultsEnabled: config.faultsEnabled, store: describeStore(config) },
    // Still serving, while /healthz says 503: the gateway stops sending requests before the port closes.
    beforeClose: async () => {
      if (config.shutdownDrainMs > 0) {
        draining = true;
        logger.info({ drainMs: config.shutdownDrainMs }, 'draining: /healthz answers 503, requests are still served');
        await sleep(config.shutdownDrainMs);
      }
      await grpc.close();
    },
  });
  startMetricsServer({ service: SERVICE, registry: metrics, port: config.metricsPort, logger });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataFileError || err instanceof StoreOpenError) exitWith(SERVICE, err.message);
  throw err;
});
