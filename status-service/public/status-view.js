// Renders the status report as HTML. The same module renders the page on the server and re-renders it
// in the browser after every live update, so the page looks the same with or without JavaScript.

/** @typedef {import('../src/schemas.ts').StatusReport} StatusReport */
/** @typedef {import('../src/schemas.ts').ContainerStatus} ContainerStatus */

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
</tr>`;
}

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
  return `<tr class="node" data-node="${escapeHtml(node)}"><th colspan="8">Node ${escapeHtml(node)} <span class="node-count">${tasks}</span></th></tr>`;
}

/**
 * One row per container; in swarm mode (the containers are tasks, each on a node) grouped by node,
 * each group under a heading row.
 * @param {StatusReport} report
 */
export function renderRows(report) {
  if (report.containers.length === 0) return '<tr><td colspan="8" class="empty">No container of the assembly is known.</td></tr>';
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
