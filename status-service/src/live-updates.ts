import type { ContainerView } from './container-view.ts';
import type { GatewayWatcher } from './gateway-watcher.ts';
import type { StatusStream } from './status-stream.ts';
import type { UptimeRecorder } from './uptime-recorder.ts';

/**
 * Every change of the container view or of the gateway's is written to the uptime history and sent to the
 * page's subscribers; a new round of CPU and memory figures (`resources`) is only sent.
 */
export function followChanges({ view, gateway, recorder, stream, resources }: {
  view: ContainerView;
  gateway: GatewayWatcher;
  recorder: UptimeRecorder;
  stream: StatusStream;
  resources?: { onChange(listener: () => void): void };
}): void {
  for (const source of [view, gateway]) {
    source.onChange(() => {
      recorder.record();
      stream.changed();
    });
  }
  resources?.onChange(() => stream.changed());
}
