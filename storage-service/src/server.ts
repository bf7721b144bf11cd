import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { DataFileError, loadDataStore } from './data-store.ts';
import { FaultInjector } from './faults.ts';
import { exitGracefullyOnSignals } from './lifecycle.ts';
import { createLogger } from './logger.ts';

/** Start-up failures are the operator's to fix: one plain line on stderr and a non-zero exit, no stack. */
function exitWith(message: string): never {
  process.stderr.write(`storage-service: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const store = await loadDataStore(config.dataFile);
  const faults = config.faultsEnabled ? new FaultInjector() : undefined;
  const app = createApp({ config, store, logger, faults });

  const server = createServer(app.callback());
  // Longer than the gateway's idle timeout, so the gateway, not this side, closes idle connections.
  server.keepAliveTimeout = 65_000;
  server.on('error', (err: NodeJS.ErrnoException) => exitWith(`cannot listen on port ${config.port}: ${err.code ?? err.message}`));
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
  if (err instanceof ConfigError || err instanceof DataFileError) exitWith(err.message);
  throw err;
});
