// Renders the status report as HTML. The same module renders the page on the server and re-renders it
// in the browser after every live update, so the page looks the same with or without JavaScript.

/** @typedef {import('../src/schemas.ts').StatusReport} StatusReport */
/** @typedef {import('../src/schemas.ts').ContainerStatus} ContainerStatus */
/** @typedef {import('../src/schemas.ts').UptimeReport} UptimeReport */

const ESCAPES = /** @type {Record<string, string>} */ ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' });

/** @param {unknown} value */
export function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** @param {string | null} iso */
function since(iso) {
  return iso ? `<time datetime="${escapeHtml(iso)}">${escapeHtml(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>` : '–';
}

/** The apps the gateway routes to (their containers carry traefik.enable); the others are never routed, by design. */
const ROUTED_APPS = new Set(['storage', 'status']);

/** @param {ContainerStatus} container */
function gatewayCell(container) {
  if (!container.gateway) return '<td class="gateway gateway-unknown">unknown</td>';
  const status = container.gateway.status;
  if (status === 'NOT_ROUTED' && !ROUTED_APPS.has(container.appName)) return '<td class="gateway gateway-by-design">not routed (by design)</td>';
  return `<td class="gateway gateway-${escapeHtml(status)}">${escapeHtml(status.replace('_', ' '))}</td>`;
}

/**
 * Docker's health, or, for a container without a Docker healthcheck that the gateway routes (the
 * storage replicas), the gateway's own health check: that is what decides whether it gets requests.
 * @param {ContainerStatus} container
 */
function healthCell(container) {
  const gateway = container.gateway?.status;
  if (container.health === 'none' && container.state === 'running' && (gateway === 'UP' || gateway === 'DOWN')) {
    const health = gateway === 'UP' ? 'healthy' : 'unhealthy';
    return `<td class="health health-${health}" title="no Docker healthcheck: the gateway's health check decides routing">${health} (gateway check)</td>`;
  }
  return `<td class="health health-${escapeHtml(container.health)}">${escapeHtml(container.health)}</td>`;
}

const MIB = 1024 * 1024;

/** @param {number} bytes */
function memory(bytes) {
  return bytes >= 1024 * MIB ? `${(bytes / 1024 / MIB).toFixed(1)} GiB` : `${(bytes / MIB).toFixed(1)} MiB`;
}

/**
 * CPU and memory from Docker's stats; a dash while the container is not running or not sampled yet.
 * @param {ContainerStatus} container
 */
function resourceCells(container) {
  const resources = container.resources;
  const cpu = resources?.cpuPercent ?? null;
  const used = resources?.memoryBytes ?? null;
  const limit = resources?.memoryLimitBytes ?? null;
  const memoryText = used === null ? '–' : limit === null ? memory(used) : `${memory(used)} / ${memory(limit)}`;
  return `<td class="cpu">${cpu === null ? '–' : `${cpu.toFixed(1)} %`}</td>\n<td class="memory">${memoryText}</td>`;
}

/** @param {ContainerStatus} container */
function row(container) {
  const exit = container.exitCode === null ? '' : ` (exit ${escapeHtml(container.exitCode)})`;
  return `<tr data-id="${escapeHtml(container.id)}" data-app="${escapeHtml(container.appName)}">
<td>${escapeHtml(container.appName)}</td>
<td>${container.replica ?? '–'}</td>
<td>${escapeHtml(container.name)}</td>
<td><code>${escapeHtml(container.id)}</code></td>
<td class="state state-${escapeHtml(container.state)}">${escapeHtml(container.state)}${exit}</td>
${healthCell(container)}
${gatewayCell(container)}
<td>${container.state === 'running' ? since(container.startedAt) : since(container.finishedAt)}</td>
${resourceCells(container)}
</tr>`;
}

/** The containers table's columns: app, replica, name, id, state, health, gateway, since, CPU, memory. */
const COLUMNS = 10;

/** @param {ContainerStatus} a @param {ContainerStatus} b */
const byNodeThenAppThenReplica = (a, b) =>
  (a.node ?? '').localeCompare(b.node ?? '') || a.appName.localeCompare(b.appName) || (a.replica ?? 0) - (b.replica ?? 0) || a.name.localeCompare(b.name);

/**
 * The heading row above one node's tasks.
 * @param {string} node
 * @param {ContainerStatus[]} containers
 */
function nodeHeading(node, containers) {
  const running = containers.filter((container) => container.state === 'running').length;
  const tasks = `${containers.length} ${containers.length === 1 ? 'task' : 'tasks'}, ${running} running`;
  return `<tr class="node" data-node="${escapeHtml(node)}"><th colspan="${COLUMNS}">Node ${escapeHtml(node)} <span class="node-count">${tasks}</span></th></tr>`;
}

/**
 * One row per container; in swarm mode (the containers are tasks, each on a node) grouped by node,
 * each group under a heading row.
 * @param {StatusReport} report
 */
export function renderRows(report) {
  if (report.containers.length === 0) return `<tr><td colspan="${COLUMNS}" class="empty">No container of the assembly is known.</td></tr>`;
  if (report.containers.every((container) => !container.node)) return report.containers.map(row).join('\n');
  /** @type {Map<string, ContainerStatus[]>} */
  const nodes = new Map();
  for (const container of [...report.containers].sort(byNodeThenAppThenReplica)) {
    const node = container.node ?? '';
    nodes.set(node, [...(nodes.get(node) ?? []), container]);
  }
  return [...nodes].map(([node, containers]) => [nodeHeading(node, containers), ...containers.map(row)].join('\n')).join('\n');
}

/** @param {StatusReport} report */
export function renderSummary(report) {
  const apps = Object.entries(report.apps);
  if (apps.length === 0) return 'No apps.';
  return apps
    .map(([app, { total, running, healthy }]) => {
      const level = healthy === total ? 'good' : healthy > 0 ? 'partial' : 'bad';
      return `<span class="app app-${level}"><strong>${escapeHtml(app)}</strong> ${healthy}/${total} healthy, ${running} running</span>`;
    })
    .join(' ');
}

/** @param {StatusReport} report */
export function renderDocker(report) {
  const { docker } = report;
  if (docker.reachable) return `Docker Engine reachable; observed ${since(report.observedAt)}.`;
  return `<strong>Docker Engine unreachable</strong>: ${escapeHtml(docker.error ?? 'unknown reason')} (since ${since(docker.since)}). Showing the last known view.`;
}

/** The uptime bar's slots over the window, as in a heartbeat bar: one per 10 minutes of 6 hours. */
export const UPTIME_HOURS = 6;
const SLOTS = 36;

/**
 * One slot of a container's bar: up, down, partly down, or before it existed (or after its removal).
 * @param {UptimeReport['containers'][number]} container
 * @param {number} start @param {number} end @param {number} until
 */
function slot(container, start, end, until) {
  const from = Math.max(start, Date.parse(container.observedSince));
  const to = Math.min(end, container.removedAt ? Date.parse(container.removedAt) : until);
  if (to <= from) return '<span class="slot slot-none"></span>';
  let downMs = 0;
  for (const incident of container.incidents) {
    const overlap = Math.min(to, incident.to ? Date.parse(incident.to) : until) - Math.max(from, Date.parse(incident.from));
    if (overlap > 0) downMs += overlap;
  }
  const level = downMs === 0 ? 'up' : downMs >= to - from ? 'down' : 'partial';
  const title = `${new Date(start).toISOString().slice(11, 16)}–${new Date(end).toISOString().slice(11, 16)} UTC: ${level === 'up' ? 'up' : `down ${Math.ceil(downMs / 60_000)} min`}`;
  return `<span class="slot slot-${level}" title="${title}"></span>`;
}

/**
 * The open incident and the two latest ended ones, newest first.
 * @param {UptimeReport['containers'][number]} container
 */
function incidentList(container) {
  const recent = [...container.incidents].reverse().slice(0, 3);
  if (recent.length === 0) return '<span class="no-incident">none</span>';
  return recent
    .map((incident) => {
      const span = incident.to === null ? `since ${since(incident.from)}` : `${since(incident.from)} – ${since(incident.to)}`;
      return `<div class="incident${incident.to === null ? ' incident-open' : ''}">${span}: ${escapeHtml(incident.reason)}</div>`;
    })
    .join('');
}

/**
 * One row per container of the uptime history: its bar over the window, its availability, its incidents.
 * @param {UptimeReport} history
 */
export function renderUptime(history) {
  if (history.containers.length === 0) return '<tr><td colspan="4" class="empty">No history yet.</td></tr>';
  const windowStart = Date.parse(history.since);
  const windowEnd = Date.parse(history.until);
  const slotMs = (windowEnd - windowStart) / SLOTS;
  return history.containers
    .map((container) => {
      const bar = Array.from({ length: SLOTS }, (_, i) => slot(container, windowStart + i * slotMs, windowStart + (i + 1) * slotMs, windowEnd)).join('');
      const availability = `${(Math.floor(container.availability * 10_000) / 100).toFixed(2)} %`;
      return `<tr data-uptime-id="${escapeHtml(container.id)}">
<td>${escapeHtml(container.name)}${container.removedAt ? ' <span class="removed">(removed)</span>' : ''}</td>
<td class="bar">${bar}</td>
<td class="availability">${availability}</td>
<td class="incidents">${incidentList(container)}</td>
</tr>`;
    })
    .join('\n');
}
