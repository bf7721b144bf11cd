import { execFile, execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What a fixed-rate run gave: how many requests, their statuses, and the latency percentiles (ms). */
export interface VegetaSummary {
  requests: number;
  /** The rate it kept, requests per second: below the one asked for when the generator itself fell behind. */
  rate: number;
  /** Answers per status; 0 is no answer (a connection error or the timeout). */
  statusCodes: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
}

/** One request of a run: when it was due (ms since the epoch), how long its answer took (ms), and what came back. */
export interface VegetaResult {
  sentAt: number;
  latencyMs: number;
  /** 0 when no answer came (a connection error or the timeout). */
  code: number;
  contentType: string;
  retryAfter: string;
}

/** Reads `vegeta report -type=json` (latencies in ns). Pure. */
export function parseVegetaReport(json: string): VegetaSummary {
  const report = JSON.parse(json) as { requests: number; rate: number; status_codes: Record<string, number> | null; latencies: Record<string, number> };
  const ms = (ns: number | undefined) => (ns ?? NaN) / 1e6;
  return { requests: report.requests, rate: report.rate, statusCodes: report.status_codes ?? {}, p50: ms(report.latencies['50th']), p99: ms(report.latencies['99th']), max: ms(report.latencies.max) };
}

/** Reads one line of `vegeta encode --to json` (latency in ns, headers as lists of values). Pure. */
export function parseVegetaResult(line: string): VegetaResult {
  const result = JSON.parse(line) as { timestamp: string; latency: number; code: number; headers?: Record<string, string[]> | null };
  const header = (name: string) => result.headers?.[name]?.[0] ?? '';
  return { sentAt: Date.parse(result.timestamp), latencyMs: result.latency / 1e6, code: result.code, contentType: header('Content-Type'), retryAfter: header('Retry-After') };
}

/** vegeta (Go, built by .ci/vegeta.sh, or VEGETA_BIN): an open-loop load generator of its own, off Node's event loop. */
export function vegetaBin(): string {
  return process.env.VEGETA_BIN ?? execFileSync('bash', ['.ci/vegeta.sh'], { cwd: ROOT, encoding: 'utf8' }).trim();
}

export interface Attack {
  urls: string[];
  rate: number;
  seconds: number;
  timeoutSeconds?: number;
  /** Names the run's files in `dir`, so that runs at once do not share them. */
  name?: string;
}

/**
 * GETs `urls` (round robin) at a fixed `rate` for `seconds`, open loop (vegeta sends on schedule whatever
 * the answers do, and counts latency from when a request was due), keep-alive, each request abandoned after
 * `timeoutSeconds`. Returns the file of its results, once every answer is in.
 */
export async function vegetaRun(bin: string, dir: string, { urls, rate, seconds, timeoutSeconds = 5, name = String(rate) }: Attack): Promise<string> {
  const targets = join(dir, `targets-${name}.txt`);
  await writeFile(targets, urls.map((url) => `GET ${url}\n`).join('\n'));
  const results = join(dir, `results-${name}.bin`);
  // Enough workers that the schedule is kept while answers queue: a rate run must never wait for answers.
  await exec(bin, ['attack', `-targets=${targets}`, `-rate=${rate}/s`, `-duration=${seconds}s`, `-timeout=${timeoutSeconds}s`, '-workers=64', '-max-workers=4096', `-output=${results}`], {
    timeout: (seconds + timeoutSeconds + 60) * 1000,
  });
  return results;
}

/** vegetaRun, summarised. */
export async function vegetaAttack(bin: string, dir: string, attack: Attack): Promise<VegetaSummary> {
  const { stdout } = await exec(bin, ['report', '-type=json', await vegetaRun(bin, dir, attack)], { maxBuffer: 16 << 20 });
  return parseVegetaReport(stdout);
}

/** Every request of a run's results file, in the order vegeta wrote them. */
export async function vegetaResults(bin: string, results: string): Promise<VegetaResult[]> {
  const encode = spawn(bin, ['encode', '--to', 'json', results], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: encode.stdout });
  const all: VegetaResult[] = [];
  for await (const line of lines) if (line) all.push(parseVegetaResult(line));
  return all;
}
