import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WARM_UP_SECONDS } from './suite/figures.ts';

const exec = promisify(execFile);

/** h2load's summary: requests per second over the measured time, and how the requests ended. */
export interface H2loadSummary {
  perSecond: number;
  succeeded: number;
  failed: number;
  /** Answered, but not 2xx. */
  non2xx: number;
  meanMs: number;
}

/** Parses h2load's report (nghttp2 1.52). Pure. */
export function parseH2load(output: string): H2loadSummary {
  const finished = /finished in [\d.]+s, ([\d.]+) req\/s/.exec(output);
  const requests = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(output);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(output);
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\b/.exec(output);
  if (!finished || !requests || !codes || !mean) throw new Error(`not an h2load report: ${output.slice(-400)}`);
  const [, succeeded, failed, errored, timeout] = requests.map(Number) as [number, number, number, number, number];
  const unit = { us: 0.001, ms: 1, s: 1000 }[mean[2] as 'us' | 'ms' | 's'];
  // "succeeded": answered, whatever the status. Not 2xx: the other classes counted, not succeeded less
  // 2xx: over HTTP/2 the status counts include streams whose headers came but which the end of the run
  // cut short, so that difference can be negative.
  const [, , redirects, clientErrors, serverErrors] = codes.map(Number) as [number, number, number, number, number];
  return { perSecond: Number(finished[1]), succeeded, failed: failed + errored + timeout, non2xx: redirects + clientErrors + serverErrors, meanMs: Number(mean[1]) * unit };
}

export interface H2loadRun {
  url: string;
  /** HTTP/1.1 (keep-alive); otherwise HTTP/2, h2c with prior knowledge for http:// URLs. */
  h1: boolean;
  seconds: number;
  connections: number;
  /** A POST of this file's bytes, instead of a GET. */
  bodyFile?: string;
  headers?: Record<string, string>;
}

/** One h2load run: `connections` connections, one request in flight on each, after WARM_UP_SECONDS of warm-up. */
export async function h2load({ url, h1, seconds, connections, bodyFile, headers = {} }: H2loadRun): Promise<H2loadSummary> {
  const args = [
    '-c', String(connections), '-m', '1', '-t', '1', '-D', String(seconds), `--warm-up-time=${WARM_UP_SECONDS}`,
    ...(h1 ? ['--h1'] : []),
    ...(bodyFile ? ['-d', bodyFile] : []),
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    url,
  ];
  const { stdout } = await exec('h2load', args, { timeout: (seconds + WARM_UP_SECONDS + 60) * 1000, maxBuffer: 16 << 20 });
  return parseH2load(stdout);
}

/** Fails at once, with the package to install, where h2load is missing. */
export async function requireH2load(section: string): Promise<void> {
  await exec('h2load', ['--version']).catch(() => {
    throw new Error(`${section} needs h2load (nghttp2): apt-get install nghttp2-client`);
  });
}

/** The sentence that ends the explanation of a section measured with h2load: where it ran, and what failed. */
export function h2loadNote(runs: H2loadSummary[]): string {
  const failed = runs.reduce((n, run) => n + run.failed + run.non2xx, 0);
  return `h2load runs on the same cores as the assembly${failed ? `; ${failed} requests failed or were not 2xx (see data)` : '; every request was answered 2xx'}.`;
}
