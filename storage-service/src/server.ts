import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from 'service-kit/config';
import { exitGracefullyOnSignals } from 'service-kit/lifecycle';
import { createLogger } from 'service-kit/logger';
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
  const app = createApp({ config, store, logger, faults });

  const server = createServer(app.callback());
  // Longer than the gateway's idle timeout, so the gateway, not this side, closes idle connections.
  server.keepAliveTimeout = 65_000;
  server.on('error', (err: NodeJS.ErrnoException) => exitWith(SERVICE, `cannot listen on port ${config.port}: ${err.code ?? err.message}`));
  server.listen(config.port, () => {
    const { port } = server.address() as AddressInfo;
    logger.info(
      { port, replica: config.replicaId, appEnv: config.appEnv, faultsEnabled: config.faultsEnabled, items: store.itemCount },
      'listening',
    );
  });
  exitGracefullyOnSignals(server, logger);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof DataFileError) exitWith(SERVICE, err.message);
  throw err;
});
