import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe } from './environment.ts';
import type { SectionResult } from './section.ts';

const BENCHMARKS_MD = fileURLToPath(new URL('../../../BENCHMARKS.md', import.meta.url));

function markdownTable(rows: string[][]): string {
  const [header = [], ...body] = rows;
  return [header, header.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/**
 * BENCHMARKS.md from the results in bench/results, in the order of `order`, then the frozen records
 * (bench/results/frozen: their harness is gone), in the order they were measured.
 */
export async function writeBenchmarksMd(results: SectionResult[], order: string[]): Promise<void> {
  const live = results.filter((result) => !result.frozen).sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const frozen = results.filter((result) => result.frozen).sort((a, b) => a.measuredAt.localeCompare(b.measuredAt));
  const sections = [...live, ...frozen].map((result, index) =>
    [
      `## ${index + 1}. ${result.title}${result.frozen ? ' (frozen record)' : ''}`,
      '',
      `Measured ${result.measuredAt} with \`${result.command}\` on ${describe(result.environment)}.` +
        (result.frozen ? ` Recorded in commit ${result.frozen.recordedIn}; it cannot be run again: ${result.frozen.why}.` : ''),
      '',
      markdownTable(result.table),
      '',
      `![${result.chart.title}](bench/results/${result.frozen ? 'frozen/' : ''}${result.id}.png)`,
      '',
      result.explanation,
      '',
    ].join('\n'),
  );
  const text = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (which starts and stops what it measures) from `bench/results/*.json`;',
    'the charts are rendered from the same files; the frozen records at the end (`bench/results/frozen/`) keep the figures of',
    'investigations whose harness was removed once they were recorded. Machines here are noisy and shared: every figure that',
    'matters is a ratio of two things measured in the same run on the same machine; absolute numbers are',
    'context only. The load generator (autocannon, `bench/`) runs on the same cores as what it loads.',
    '',
    'What these numbers changed: the gateway keeps up to 200 idle connections per replica and buffers',
    'at most 1 KiB of a request body for its retry (before, 0.07× of direct throughput and 503s once',
    'ephemeral ports ran out; [traefik/README](traefik/README.md)), and the request log line holds no',
    'headers (item reads 0.68 → 0.82 of bare node:http; [storage-service/README](storage-service/README.md)).',
    'Issue #12: no Docker healthcheck probes in the replicas (Traefik\'s own health check routes them), rarer',
    "ones elsewhere, Traefik's access log written from a queue and carrying the request id (the replicas log",
    "reads that went well only at debug), and the gateway's CPU weight cut the p99 through Traefik at 250 req/s",
    'from 17.9 to 4.9 ms, and straight to a replica from 5.7 to 3.0 ms (the frozen record "Gateway latency before and after issue #12";',
    '[traefik/README](traefik/README.md), "Tail latency").',
    "Issue #11: the replicas' graceful shutdown no longer keeps a list of the requests in flight (a set entry and a",
    "listener per request): item reads went from 0.77 / 0.84 / 1.01 to 0.94 / 0.94 / 0.98 of bare node:http (5 s rounds;",
    '"storage-service alone vs a bare node:http server", which now also gives the CPU each server used per request, and Koa alone).',
    "Issue #21: the services' Prometheus metrics (a histogram observation per request and per store operation) cost an item",
    'read 1.00 / 1.04 / 1.32 of its CPU and 0.77 / 0.97 / 1.01 of its throughput, side by side with the service before them',
    '(the frozen record "What the metrics cost an item read").',
    "Issue #23: the gateway runs Go with GOMAXPROCS=1 and GOGC=400 (the frozen records \"Gateway cost bisected\"): its CPU per item",
    "read at 1,000/s went from 1.63 / 1.77 / 1.81 to 1.20 / 1.36 / 1.72 of a replica's, and its capacity from 1,250 / 1,250 / 2,500",
    'to 1,500 / 2,000 / 2,000 reads/s ("Gateway cost", before: 2026-12-04T10:57Z; after: 13:04Z).',
    '',
    ...sections,
  ].join('\n');
  await writeFile(BENCHMARKS_MD, text);
}
