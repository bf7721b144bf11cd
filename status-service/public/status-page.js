/// <reference lib="dom" />
// The status page's live updates: a server-sent events stream of status reports, re-rendered in place.
// Without JavaScript the page refreshes itself instead (see the <noscript> in its head).
import { renderDocker, renderRows, renderSummary } from './status-view.js';

const body = document.body;
const rows = /** @type {HTMLElement} */ (document.getElementById('containers'));
const summary = /** @type {HTMLElement} */ (document.getElementById('summary'));
const docker = /** @type {HTMLElement} */ (document.getElementById('docker'));
const live = /** @type {HTMLElement} */ (document.getElementById('live'));

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
});
