import { setTimeout as sleep } from 'node:timers/promises';
import { captureLogs as captureServiceLogs } from 'service-kit/testing/logs';
import { serve, type Served } from 'service-kit/testing/serve';
import { createApp } from '../src/app.ts';
import { ContainerView } from '../src/container-view.ts';
import { GatewayView } from '../src/gateway-view.ts';
import { StatusReporter } from '../src/status-report.ts';
import { StatusStream } from '../src/status-stream.ts';

/** Log lines written, parsed, for assertions on what operators would see. */
export const captureLogs = () => captureServiceLogs('status-service');

/**
 * Polls `probe` until it returns something truthy; fails with `what` after `deadlineMs`.
 * Returns the truthy value and how long it took (for deadlines that are part of the contract).
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  { deadlineMs = 5_000, intervalMs = 10, what = 'condition' }: { deadlineMs?: number; intervalMs?: number; what?: string } = {},
): Promise<{ value: Exclude<T, undefined | null | false>; elapsedMs: number }> {
  const start = performance.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return { value: value as Exclude<T, undefined | null | false>, elapsedMs: performance.now() - start };
    } catch (err) {
      last = err;
    }
    if (performance.now() - start > deadlineMs) {
      throw new Error(`${what} not met within ${deadlineMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export interface RunningApp {
  url: string;
  view: ContainerView;
  gateway: GatewayView;
  stream: StatusStream;
  lines: Array<Record<string, unknown>>;
  close: () => Promise<void>;
}

/** The app on an ephemeral port of 127.0.0.1, its view filled by the test (or by a real watcher). */
export async function startApp(
  options: { appEnv?: 'development' | 'production'; traefikApiUrl?: string; view?: ContainerView } = {},
): Promise<RunningApp> {
  const { logger, lines } = captureLogs();
  const view = options.view ?? new ContainerView('unix:///var/run/docker.sock');
  const gateway = new GatewayView({ apiUrl: options.traefikApiUrl, logger, intervalMs: 50, timeoutMs: 200 });
  const reporter = new StatusReporter(view, gateway);
  const stream = new StatusStream(reporter, { debounceMs: 10 });
  view.onChange(() => stream.changed());
  gateway.onChange(() => stream.changed());
  gateway.start();
  const app = createApp({ config: { appEnv: options.appEnv ?? 'production' }, reporter, stream, logger });
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
