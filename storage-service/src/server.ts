import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from 'service-kit/config';
import { createLogger } from 'service-kit/logger';
import { exitWith, startServer } from 'service-kit/server';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { DataFileError } from './data-file.ts';
import { FaultInjector } from './faults.ts';
import { removeExpiredKeysPeriodically } from './idempotency-cleanup.ts';
import { StoreOpenError } from './store/errors.ts';
import { describeStore, openStore } from './store/open-store.ts';

const SERVICE = 'storage-service';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(SERVICE, config.logLevel);
  const store = await openStore(config, logger);
  removeExpiredKeysPeriodically(store, logger, config.idempotencyTtlSeconds * 1000);
  const faults = config.faultsEnabled ? new FaultInjector() : undefined;
  let draining = false;
  startServer({
    service: SERVICE,
    handler: createApp({ config, store, logger, faults, draining: () => draining }).callback(),
    port: config.port,
    logger,
    listeningFields: { replica: config.replicaId, appEnv: config.appEnv, faultsEnabled: config.faultsEnabled, store: describeStore(config) },
    // Still serving, while /healthz says 503: the gateway stops sending requests before the port closes.
    beforeClose: async () => {
      if (config.shutdownDrainMs === 0) return;
      draining = true;
      logger.info({ drainMs: config.shutdownDrainMs }, 'draining: /healthz answers 503, requests are still served');
      await sleep(config.shutdownDrainMs);
    },
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataFileError || err instanceof StoreOpenError) exitWith(SERVICE, err.message);
  throw err;
});
