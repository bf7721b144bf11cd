import { readFile, rename, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';

/**
 * The one-shot service `prometheus-config` (docker-compose.yml): runs before Prometheus, which waits until
 * it exited 0, and renders prometheus.yml (a template) into the volume Prometheus reads:
 *   __PROJECT__          this container's own compose project, read from the Docker API proxy (its host
 *                        name is its short id), as the gateway's start.sh and the status service do: the
 *                        configuration cannot read the environment, and docker-compose 1.29 does not pass
 *                        `-p NAME` to interpolation
 *   __SCRAPE_INTERVAL__  PROMETHEUS_SCRAPE_INTERVAL, 15s unless set
 * A mistake (no proxy, no project label, an interval out of range) stops `up` with one line in this
 * service's log instead of a Prometheus that scrapes another project or nothing.
 *   usage: node render-config.ts TEMPLATE OUT
 * Node's built-in modules only: it runs on the bare Node image, without node_modules.
 */

export const DEFAULT_SCRAPE_INTERVAL = '15s';
/** The rules' rate windows are 2 m (rules.yml): an interval above 30 s leaves fewer than 4 samples in one. */
const MAX_SCRAPE_INTERVAL_MS = 30_000;
const MIN_SCRAPE_INTERVAL_MS = 1_000;
const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** A compose project name as both docker-compose 1.29 and Compose v2 make them; it goes into a YAML string. */
export function validProject(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]*$/.test(name);
}

/** PROMETHEUS_SCRAPE_INTERVAL as Prometheus writes a duration (one unit: 500ms, 5s, 1m), within 1 s … 30 s. */
export function scrapeInterval(value: string | undefined): string {
  const interval = value === undefined || value === '' ? DEFAULT_SCRAPE_INTERVAL : value;
  const match = /^([1-9][0-9]*)(ms|s|m)$/.exec(interval);
  const ms = match ? Number(match[1]) * UNITS_MS[match[2]!]! : NaN;
  if (!(ms >= MIN_SCRAPE_INTERVAL_MS && ms <= MAX_SCRAPE_INTERVAL_MS)) {
    throw new Error(`PROMETHEUS_SCRAPE_INTERVAL must be a duration from 1s to 30s, such as 5s or 15s (got "${interval}")`);
  }
  return interval;
}

export interface ConfigSettings {
  project: string;
  scrapeInterval: string;
}

/** The template with every placeholder replaced; throws on a bad setting or a placeholder it does not know. */
export function renderConfig(template: string, settings: ConfigSettings): string {
  if (!validProject(settings.project)) throw new Error(`"${settings.project}" is not a compose project name`);
  const interval = scrapeInterval(settings.scrapeInterval);
  const rendered = template.replaceAll('__PROJECT__', settings.project).replaceAll('__SCRAPE_INTERVAL__', interval);
  const unknown = /__[A-Z][A-Z_]*__/.exec(rendered);
  if (unknown) throw new Error(`the template has a placeholder nothing fills in: ${unknown[0]}`);
  return rendered;
}

/** The compose project label of the container `id`, undefined if it has none; throws if the API does not answer. */
export async function ownProject(api: string, id: string, signal: AbortSignal): Promise<string | undefined> {
  const response = await fetch(`${api}/containers/${encodeURIComponent(id)}/json`, { signal });
  if (!response.ok) throw new Error(`GET /containers/${id}/json answered ${response.status}`);
  const container = (await response.json()) as { Config?: { Labels?: Record<string, string> | null } };
  return container.Config?.Labels?.['com.docker.compose.project'];
}

/** Asks once a second, for 30 s at most: the proxy may still be starting along with this container. */
async function askProxy(api: string, id: string): Promise<string | undefined> {
  let last: unknown;
  for (let tries = 1; tries <= 30; tries++) {
    try {
      return await ownProject(api, id, AbortSignal.timeout(2000));
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  throw new Error(`cannot read this container from the Docker API proxy at ${api} after 30 tries: ${String((last as Error)?.cause ?? last)}`);
}

async function main(templatePath: string, outPath: string): Promise<string> {
  const interval = scrapeInterval(process.env.PROMETHEUS_SCRAPE_INTERVAL);
  const api = process.env.DOCKER_API_URL ?? 'http://docker-api:2375';
  const project = await askProxy(api, hostname());
  if (project === undefined) throw new Error('this container has no compose project label; start it with docker-compose');
  const config = renderConfig(await readFile(templatePath, 'utf8'), { project, scrapeInterval: interval });
  // Whole or not at all: a restarted Prometheus never reads half a file.
  await writeFile(`${outPath}.tmp`, config, { mode: 0o644 });
  await rename(`${outPath}.tmp`, outPath);
  return `project ${project}, scrape interval ${interval}: ${outPath}`;
}

if (import.meta.main) {
  const [templatePath, outPath] = process.argv.slice(2);
  if (!templatePath || !outPath) {
    process.stderr.write('usage: node render-config.ts TEMPLATE OUT\n');
    process.exit(2);
  }
  try {
    process.stdout.write(`prometheus-config: ${await main(templatePath, outPath)}\n`);
  } catch (err) {
    process.stderr.write(`prometheus-config: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
