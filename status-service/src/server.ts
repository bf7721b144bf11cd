import { ConfigError } from 'service-kit/config';
import { createLogger } from 'service-kit/logger';
import { exitWith, startServer } from 'service-kit/server';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { ContainerView } from './container-view.ts';
import { dockerodeApi } from './docker-api.ts';
import { DockerWatcher } from './docker-watcher.ts';
import { GatewayWatcher } from './gateway-watcher.ts';
import { StatusReporter } from './status-report.ts';
import { StatusStream } from './status-stream.ts';

const SERVICE = 'status-service';

function main(): void {
  const config = loadConfig(process.env);
  const logger = createLogger(SERVICE, config.logLevel);
  const view = new ContainerView(config.dockerHost);
  const gateway = new GatewayWatcher({ apiUrl: config.traefikApiUrl, logger });
  const reporter = new StatusReporter(view, gateway);
  const stream = new StatusStream(reporter);
  view.onChange(() => stream.changed());
  gateway.onChange(() => stream.changed());

  const socketPath = 'socketPath' in config.dockerEndpoint ? config.dockerEndpoint.socketPath : undefined;
  const api = dockerodeApi(config.dockerEndpoint);
  const watcher = new DockerWatcher({ api, view, logger, ownContainerId: config.ownContainerId, stack: config.stackNamespace, socketPath });
  watcher.start();
  gateway.start();

  startServer({
    service: SERVICE,
    handler: createApp({ config, reporter, stream, logger }).callback(),
    port: config.port,
    logger,
    // The compose project or swarm stack is not known yet: the watcher logs it once it has asked Docker.
    listeningFields: { appEnv: config.appEnv, docker: config.dockerHost, gatewayApi: config.traefikApiUrl ?? null },
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
