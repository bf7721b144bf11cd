import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderChart } from './charts.ts';
import type { SectionResult } from './section.ts';

export const RESULTS_DIR = fileURLToPath(new URL('../../results/', import.meta.url));
/** Results whose harness is gone: written once, read for BENCHMARKS.md ever after. */
const FROZEN_DIR = `${RESULTS_DIR}frozen/`;

/** Writes bench/results/<id>.json and its chart, bench/results/<id>.png. */
export async function saveResult(result: SectionResult): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(`${RESULTS_DIR}${result.id}.json`, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(`${RESULTS_DIR}${result.id}.png`, await renderChart(result.chart));
}

async function resultsIn(dir: string): Promise<SectionResult[]> {
  const files = (await readdir(dir).catch(() => [])).filter((file) => file.endsWith('.json')).sort();
  return Promise.all(files.map(async (file) => JSON.parse(await readFile(`${dir}${file}`, 'utf8')) as SectionResult));
}

/** Every section's last result, then the frozen records, so BENCHMARKS.md can be written after running one section alone. */
export async function loadResults(): Promise<SectionResult[]> {
  return [...(await resultsIn(RESULTS_DIR)), ...(await resultsIn(FROZEN_DIR))];
}
