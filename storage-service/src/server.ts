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
  startServer({
    service: SERVICE,
    handler: createApp({ config, store, logger, faults }).callback(),
    port: config.port,
    logger,
    listeningFields: { replica: config.replicaId, appEnv: config.appEnv, faultsEnabled: config.faultsEnabled, store: describeStore(config) },
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataFileError || err instanceof StoreOpenError) exitWith(SERVICE, err.message);
  throw err;
});
