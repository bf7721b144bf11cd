import { ConfigError } from 'service-kit/config';
import { createLogger } from 'service-kit/logger';
import { serviceRegistry } from 'service-kit/metrics';
import { startMetricsServer } from 'service-kit/metrics-server';
import { exitWith, startServer } from 'service-kit/server';
import { createApp } from './app.ts';
import { loadConfig } from './config.ts';
import { ContainerView } from './container-view.ts';
import { dockerodeApi } from './docker-api.ts';
import { DockerWatcher } from './docker-watcher.ts';
import { GatewayWatcher } from './gateway-watcher.ts';
import { followChanges } from './live-updates.ts';
import { registerStatusMetrics } from './metrics.ts';
import { ResourceSampler } from './resource-sampler.ts';
import { StatusReporter } from './status-report.ts';
import { StatusStream } from './status-stream.ts';
import { UptimeHistory } from './uptime-history.ts';
import { UptimeRecorder } from './uptime-recorder.ts';

const SERVICE = 'status-service';

function main(): void {
  const config = loadConfig(process.env);
  const logger = createLogger(SERVICE, config.logLevel);
  const view = new ContainerView(config.dockerHost);
  const gateway = new GatewayWatcher({ apiUrl: config.traefikApiUrl, logger });
  const socketPath = 'socketPath' in config.dockerEndpoint ? config.dockerEndpoint.socketPath : undefined;
  const api = dockerodeApi(config.dockerEndpoint);
  const resources = new ResourceSampler({ api, view, logger, intervalMs: config.statsIntervalMs });
  const reporter = new StatusReporter(view, gateway, resources);
  const stream = new StatusStream(reporter);
  const history = new UptimeHistory(config.historyPath, config.historyDays);
  const recorder = new UptimeRecorder(reporter, history, logger);
  recorder.startPruning();
  followChanges({ view, gateway, recorder, stream, resources });
  const metrics = serviceRegistry();
  registerStatusMetrics(metrics, view);

  const watcher = new DockerWatcher({ api, view, logger, ownContainerId: config.ownContainerId, stack: config.stackNamespace, socketPath });
  watcher.start();
  gateway.start();
  resources.start();

  startServer({
    service: SERVICE,
    handler: createApp({ config, reporter, stream, history, logger, metrics }).callback(),
    port: config.port,
    logger,
    // The compose project or swarm stack is not known yet: the watcher logs it once it has asked Docker.
    listeningFields: { appEnv: config.appEnv, docker: config.dockerHost, gatewayApi: config.traefikApiUrl ?? null },
    // Live streams never finish on their own: they end first, so shutdown does not wait for browsers.
    beforeClose: async () => {
      stream.close();
      recorder.stop();
      await Promise.all([watcher.stop(), gateway.stop(), resources.stop()]);
      history.close();
    },
  });
  startMetricsServer({ service: SERVICE, registry: metrics, port: config.metricsPort, logger });
}

try {
  main();
} catch (err) {
  if (err instanceof ConfigError) exitWith(SERVICE, err.message);
  throw err;
}
