import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { environment } from './suite/environment.ts';
import { benchSeconds } from './suite/figures.ts';
import { loadResults, saveResult } from './suite/results.ts';
import { writeBenchmarksMd } from './suite/report.ts';
import type { Section } from './suite/section.ts';

/** The sections in BENCHMARKS.md order; each is bench/src/sections/<id>.ts exporting `section`. */
const ORDER = ['storage-vs-bare', 'orders', 'store-postgres', 'gateway-latency', 'gateway-cost', 'gateway-tls', 'grpc-vs-http', 'status-view-vs-naive', 'scaling', 'data-size', 'failover', 'swarm'];

async function loadSections(): Promise<Section[]> {
  const dir = new URL('./sections/', import.meta.url);
  const files = (await readdir(dir)).filter((file) => file.endsWith('.ts'));
  const sections = await Promise.all(files.map(async (file) => ((await import(new URL(file, dir).href)) as { section: Section }).section));
  return sections.sort((a, b) => ORDER.indexOf(a.id) - ORDER.indexOf(b.id));
}

const SECTIONS = await loadSections();

/** `npm run bench` runs every section; `npm run bench -- <id> …` runs only those. BENCHMARKS.md is rewritten either way. */
async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((id) => !SECTIONS.some((section) => section.id === id));
  if (unknown.length) {
    process.stderr.write(`bench: unknown section ${unknown.join(', ')}; sections: ${SECTIONS.map((s) => s.id).join(', ')}\n`);
    process.exit(2);
  }
  const measuredOn = await environment();
  for (const section of SECTIONS.filter((s) => wanted.length === 0 || wanted.includes(s.id))) {
    process.stderr.write(`bench: ${section.id}: ${section.title}\n`);
    const dir = await mkdtemp(join(tmpdir(), `bench-${section.id}-`));
    const measured = await section.run({ seconds: benchSeconds(), dir }).finally(() => rm(dir, { recursive: true, force: true }));
    const result = {
      id: section.id,
      title: section.title,
      measuredAt: new Date().toISOString(),
      command: `npm run bench -- ${section.id}`,
      environment: measuredOn,
      ...measured,
    };
    await saveResult(result);
    process.stderr.write(`bench: ${section.id}: ${result.explanation}\n`);
  }
  await writeBenchmarksMd(await loadResults(), ORDER);
}

await main();
