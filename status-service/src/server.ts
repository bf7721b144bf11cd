import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from 'service-kit/config';
import { exitGracefullyOnSignals } from 'service-kit/lifecycle';
import { createLogger } from 'service-kit/logger';
import { exitWith } from 'service-kit/startup';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { ContainerView } from './container-view.ts';
import { dockerodeApi } from './docker-api.ts';
import { DockerWatcher } from './docker-watcher.ts';
import { GatewayView } from './gateway-view.ts';
import { StatusReporter } from './status-report.ts';
import { StatusStream } from './status-stream.ts';

const SERVICE = 'status-service';

function main(): void {
  const config = loadConfig(process.env);
  const logger = createLogger(SERVICE, config.logLevel);
  const view = new ContainerView(config.dockerHost);
  const gateway = new GatewayView({ apiUrl: config.traefikApiUrl, logger });
  const reporter = new StatusReporter(view, gateway);
  const stream = new StatusStream(reporter);
  view.onChange(() => stream.changed());
  gateway.onChange(() => stream.changed());

  const socketPath = 'socketPath' in config.dockerEndpoint ? config.dockerEndpoint.socketPath : undefined;
  const watcher = new DockerWatcher({ api: dockerodeApi(config.dockerEndpoint), view, logger, project: config.project, socketPath });
  watcher.start();
  gateway.start();

  const app = createApp({ config, reporter, stream, logger });
  const server = createServer(app.callback());
  // Longer than the gateway's idle timeout, so the gateway, not this side, closes idle connections.
  server.keepAliveTimeout = 65_000;
  server.on('error', (err: NodeJS.ErrnoException) => exitWith(SERVICE, `cannot listen on port ${config.port}: ${err.code ?? err.message}`));
  server.listen(config.port, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ port, appEnv: config.appEnv, docker: config.dockerHost, project: config.project ?? null, gatewayApi: config.traefikApiUrl ?? null }, 'listening');
  });
  exitGracefullyOnSignals(server, logger, {
    // Live streams never finish on their own: they end first, so shutdown does not wait for browsers.
    beforeClose: async () => {
      stream.close();
      await Promise.all([watcher.stop(), gateway.stop()]);
    },
  });
}

try {
  main();
} catch (err) {
  if (err instanceof ConfigError) exitWith(SERVICE, err.message);
  throw err;
}
