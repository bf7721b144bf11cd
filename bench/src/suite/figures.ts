import { DEFAULTS, type LoadOptions } from '../options.ts';

/** Rounds of a side-by-side comparison: the fewest that give a min, a median and a max. */
export const ROUNDS = 3;
/** Seconds of load before each measured one, so that every server is measured warm (compiled code, pools, caches). */
export const WARM_UP_SECONDS = 2;

/** Seconds per measured load (BENCH_SECONDS, default 10). */
export function benchSeconds(): number {
  const value = Number(process.env.BENCH_SECONDS || 10);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_SECONDS must be a positive number of seconds (got "${process.env.BENCH_SECONDS}")`);
  return value;
}

/** Load options with the load client's defaults for everything not given. */
export function loadOptions(url: string, prefix: string, overrides: Partial<LoadOptions> = {}): LoadOptions {
  return {
    workload: 'read',
    url,
    prefix,
    connections: DEFAULTS.connections,
    durationSeconds: benchSeconds(),
    amount: null,
    rate: null,
    p: DEFAULTS.p,
    timeoutSeconds: DEFAULTS.timeoutSeconds,
    ...overrides,
  };
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/**
 * The order of a side-by-side comparison's round (1-based): as given in round 1, each later round starting
 * one further along, so that nothing always runs first. Pure.
 */
export function rotated<T>(items: readonly T[], round: number): T[] {
  return items.map((_, i) => items[(i + round - 1) % items.length]!);
}

/** min, median (mean of the middle two for an even count) and max; NaN for no values. Pure. */
export function spread(values: number[]): { min: number; median: number; max: number } {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}

/** `min / median / max` of the values, each as `format` prints it. Pure. */
export function spreadText(values: number[], format: (value: number) => string): string {
  const { min, median, max } = spread(values);
  return `${format(min)} / ${format(median)} / ${format(max)}`;
}

/** How the tables print figures; a dash where there is none. */
export const fmt = {
  ms: (value: number | null | undefined): string => (value == null || Number.isNaN(value) ? '–' : `${round(value, 1)} ms`),
  rps: (value: number): string => `${Math.round(value).toLocaleString('en-US')}`,
  pct: (value: number): string => (Number.isNaN(value) ? '–' : `${Math.round(value)} %`),
  ratio: (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–'),
};
