import { captureLogs as captureServiceLogs } from 'testkit/logs';
import { serve, type Served } from 'testkit/serve';
import { createApp } from '../src/app.ts';
import { ContainerView } from '../src/container-view.ts';
import { GatewayWatcher } from '../src/gateway-watcher.ts';
import { followChanges } from '../src/live-updates.ts';
import { StatusReporter, type ResourceSource } from '../src/status-report.ts';
import { StatusStream } from '../src/status-stream.ts';
import { UptimeHistory } from '../src/uptime-history.ts';
import { UptimeRecorder } from '../src/uptime-recorder.ts';

/** Log lines written, parsed, for assertions on what operators would see. */
export const captureLogs = () => captureServiceLogs('status-service');

export interface RunningApp {
  url: string;
  view: ContainerView;
  gateway: GatewayWatcher;
  stream: StatusStream;
  lines: Array<Record<string, unknown>>;
  close: () => Promise<void>;
}

/** The app on an ephemeral port of 127.0.0.1, its view filled by the test (or by a real watcher). */
export async function startApp(
  options: {
    appEnv?: 'development' | 'production';
    traefikApiUrl?: string;
    view?: ContainerView;
    history?: UptimeHistory;
    /** CPU and memory by container; a new round of them is sent to the page's subscribers, as server.ts wires it. */
    resources?: ResourceSource & { onChange(listener: () => void): void };
    now?: () => number;
  } = {},
): Promise<RunningApp> {
  const { logger, lines } = captureLogs();
  const view = options.view ?? new ContainerView('unix:///var/run/docker.sock');
  const gateway = new GatewayWatcher({ apiUrl: options.traefikApiUrl, logger, intervalMs: 50, timeoutMs: 200 });
  const reporter = new StatusReporter(view, gateway, options.resources);
  const stream = new StatusStream(reporter, { debounceMs: 10 });
  const history = options.history ?? new UptimeHistory(':memory:', 7);
  const recorder = new UptimeRecorder(reporter, history, logger, options.now);
  followChanges({ view, gateway, recorder, stream, resources: options.resources });
  gateway.start();
  const app = createApp({ config: { appEnv: options.appEnv ?? 'production' }, reporter, stream, history, logger, now: options.now });
  const served = await serve(app.callback());
  return {
    url: served.url,
    view,
    gateway,
    stream,
    lines,
    close: async () => {
      stream.close();
      await gateway.stop();
      await served.close();
    },
  };
}

/** Serves `body` as JSON on an ephemeral port: a stand-in for Traefik's API, which the service only reads. */
export function serveJson(body: () => unknown): Promise<Served> {
  return serve((_req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body()));
  });
}
