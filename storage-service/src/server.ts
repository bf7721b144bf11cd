import { ConfigError } from 'service-kit/config';
import { createLogger } from 'service-kit/logger';
import { startServer } from 'service-kit/server';
import { exitWith } from 'service-kit/startup';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { DataFileError, loadDataStore } from './data-store.ts';
import { FaultInjector } from './faults.ts';

const SERVICE = 'storage-service';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(SERVICE, config.logLevel);
  const store = await loadDataStore(config.dataFile);
  const faults = config.faultsEnabled ? new FaultInjector() : undefined;
  startServer({
    service: SERVICE,
    handler: createApp({ config, store, logger, faults }).callback(),
    port: config.port,
    logger,
    listeningFields: { replica: config.replicaId, appEnv: config.appEnv, faultsEnabled: config.faultsEnabled, items: store.itemCount },
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataFileError) exitWith(SERVICE, err.message);
  throw err;
});
