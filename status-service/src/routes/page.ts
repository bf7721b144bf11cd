import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import { assetRoutes } from 'service-kit/assets';
import { forwardedPrefix } from 'service-kit/forwarded-prefix';
// The page's renderer is plain JavaScript because the browser runs the same file for live updates.
import { escapeHtml, renderDocker, renderRows, renderSummary, renderUptime, UPTIME_HOURS } from '../../public/status-view.js';
import type { StatusReporter } from '../status-report.ts';
import type { UptimeHistory } from '../uptime-history.ts';

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));
const ASSET_TYPES: Record<string, string> = {
  'status-page.css': 'text/css; charset=utf-8',
  'status-page.js': 'text/javascript; charset=utf-8',
  'status-view.js': 'text/javascript; charset=utf-8',
};

const HOUR_MS = 3_600_000;

/**
 * GET /: the assembly's landing page, one row per container (in swarm mode per task, grouped by node),
 * with its CPU and memory, then each container's uptime over the last hours. Rendered complete on the
 * server; a small script (no framework, no inline code, so a strict Content-Security-Policy holds)
 * keeps it live.
 */
export function pageRoutes(reporter: StatusReporter, history: UptimeHistory, showDocs: boolean, now: () => number): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    const prefix = escapeHtml(forwardedPrefix(ctx));
    const report = reporter.report();
    const until = now();
    const uptime = history.report({}, { since: until - UPTIME_HOURS * HOUR_MS, until });
    const docsLink = showDocs ? ` · <a href="${prefix}/swagger">API documentation</a>` : '';
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assembly status</title>
<noscript><meta http-equiv="refresh" content="5"></noscript>
<link rel="stylesheet" href="${prefix}/assets/status-page.css">
<script type="module" src="${prefix}/assets/status-page.js"></script>
</head>
<body data-stream="${prefix}/status/stream" data-history="${prefix}/status/history" data-uptime-hours="${UPTIME_HOURS}" data-updated-at="${escapeHtml(report.observedAt)}">
<header>
<h1>Assembly status <span id="live" class="live">static</span></h1>
<p id="summary">${renderSummary(report)}</p>
<p id="docker" class="${report.docker.reachable ? 'docker' : 'docker docker-unreachable'}">${renderDocker(report)}</p>
</header>
<table>
<thead><tr><th>App</th><th>Replica</th><th>Name</th><th>Id</th><th>State</th><th>Health</th><th>Gateway</th><th>Since</th><th>CPU</th><th>Memory</th></tr></thead>
<tbody id="containers">
${renderRows(report)}
</tbody>
</table>
<h2>Uptime, last ${UPTIME_HOURS} hours</h2>
<table class="uptime">
<thead><tr><th>Name</th><th>Up (green) and down (red), 10 minutes a bar</th><th>Availability</th><th>Incidents (open, latest)</th></tr></thead>
<tbody id="uptime">
${renderUptime(uptime)}
</tbody>
</table>
<footer><a href="${prefix}/status">/status</a> (JSON) · <a href="${prefix}/status/stream">/status/stream</a> (server-sent events) · <a href="${prefix}/status/history">/status/history</a> (JSON)${docsLink}</footer>
</body>
</html>
`;
  });

  // no-cache: revalidated on every load, so a new deployment's page never runs an old script.
  router.use(assetRoutes('/assets', PUBLIC_DIR, ASSET_TYPES, 'no-cache').routes());
  return router;
}
