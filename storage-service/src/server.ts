import { ConfigError } from 'service-kit/config';
import { createLogger } from 'service-kit/logger';
import { startServer } from 'service-kit/server';
import { exitWith } from 'service-kit/startup';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { DataFileError, loadDataFile } from './data-file.ts';
import { FaultInjector } from './faults.ts';
import { removeExpiredKeysPeriodically } from './idempotency-cleanup.ts';
import { StoreOpenError } from './store/sqlite/database.ts';
import { openSqliteStore } from './store/sqlite/sqlite-store.ts';

const SERVICE = 'storage-service';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(SERVICE, config.logLevel);
  const idempotencyTtlMs = config.idempotencyTtlSeconds * 1000;
  const store = await openSqliteStore({ path: config.storePath, idempotencyTtlMs });
  // The data file is read only while the store was never seeded; seed() checks again under the write lock.
  const seeded = !(await store.seeded()) && (await store.seed(await loadDataFile(config.dataFile)));
  if (seeded) logger.info({ store: config.storePath, dataFile: config.dataFile }, 'store seeded from the data file');
  removeExpiredKeysPeriodically(store, logger, idempotencyTtlMs);
  const faults = config.faultsEnabled ? new FaultInjector() : undefined;
  startServer({
    service: SERVICE,
    handler: createApp({ config, store, logger, faults }).callback(),
    port: config.port,
    logger,
    listeningFields: { replica: config.replicaId, appEnv: config.appEnv, faultsEnabled: config.faultsEnabled, store: config.storePath },
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataFileError || err instanceof StoreOpenError) exitWith(SERVICE, err.message);
  throw err;
});
