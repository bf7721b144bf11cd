/// <reference lib="dom" />
// The status page's live updates: a server-sent events stream of status reports, re-rendered in place.
// Without JavaScript the page refreshes itself instead (see the <noscript> in its head).
import { renderDocker, renderRows, renderSummary, renderUptime } from './status-view.js';

const body = document.body;
const rows = /** @type {HTMLElement} */ (document.getElementById('containers'));
const summary = /** @type {HTMLElement} */ (document.getElementById('summary'));
const docker = /** @type {HTMLElement} */ (document.getElementById('docker'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));
const uptime = /** @type {HTMLElement} */ (document.getElementById('uptime'));
const uptimeHours = Number(body.dataset.uptimeHours ?? 6);

/** At most one history request at a time: a change that comes during one asks again once it is answered. */
let historyBusy = false;
let historyAgain = false;
async function refreshUptime() {
  if (historyBusy) {
    historyAgain = true;
    return;
  }
  historyBusy = true;
  try {
    const since = new Date(Date.now() - uptimeHours * 3_600_000).toISOString();
    const response = await fetch(`${body.dataset.history ?? 'status/history'}?since=${encodeURIComponent(since)}`);
    if (response.ok) uptime.innerHTML = renderUptime(await response.json());
  } catch {
    // The next change or the minute's refresh asks again.
  } finally {
    historyBusy = false;
    if (historyAgain) {
      historyAgain = false;
      void refreshUptime();
    }
  }
}
// The bars move on with time even when nothing changes.
setInterval(refreshUptime, 60_000);

/** @param {'connecting' | 'live' | 'lost'} state */
function showLive(state) {
  live.className = `live live-${state}`;
  live.textContent = { connecting: 'connecting…', live: 'live', lost: 'connection lost, retrying…' }[state];
}

const events = new EventSource(body.dataset.stream ?? 'status/stream');
showLive('connecting');
events.addEventListener('open', () => showLive('live'));
events.addEventListener('error', () => showLive('lost'));
events.addEventListener('status', (event) => {
  const report = JSON.parse(/** @type {MessageEvent<string>} */ (event).data);
  rows.innerHTML = renderRows(report);
  summary.innerHTML = renderSummary(report);
  docker.innerHTML = renderDocker(report);
  docker.className = report.docker.reachable ? 'docker' : 'docker docker-unreachable';
  body.dataset.updatedAt = report.observedAt;
  showLive('live');
  void refreshUptime();
});
