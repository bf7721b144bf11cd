import type { Environment } from './environment.ts';

/** What one benchmark section measured, as written to bench/results/<id>.json and shown in BENCHMARKS.md. */
export interface SectionResult {
  id: string;
  title: string;
  /** When it ran; every figure of a section comes from this one run on this one machine. */
  measuredAt: string;
  /** The exact command that reproduces it. */
  command: string;
  /** The machine and the versions it ran on. */
  environment: Environment;
  /**
   * A record kept after its harness was removed (bench/results/frozen/): the commit that recorded it,
   * and why it can no longer be run. BENCHMARKS.md keeps its figures, as measured.
   */
  frozen?: { recordedIn: string; why: string };
  /** The table, as rows of cells; the first row is the header. */
  table: string[][];
  /** Two or three sentences: what the numbers say and why. */
  explanation: string;
  /**
   * A bar chart of the main figure: one bar per label, grouped by series when there are several. A bar
   * with `min` and `max` gets an error bar over that range (e.g. the median of runs, their min and max);
   * `yScale: 'log'` when the figures span orders of magnitude.
   */
  chart: {
    title: string;
    yTitle: string;
    yScale?: 'linear' | 'log';
    bars: Array<{ label: string; series?: string; value: number; min?: number; max?: number }>;
  };
  /** Everything measured, for tooling (load summaries, CPU figures…). */
  data: unknown;
}

/** What the runner gives a section: how long each measured load runs, and a folder of its own for files, removed after. */
export interface SectionRun {
  seconds: number;
  dir: string;
}

/** A section of the suite: `run` starts and stops whatever it needs and measures. */
export interface Section {
  id: string;
  title: string;
  run: (context: SectionRun) => Promise<Omit<SectionResult, 'id' | 'title' | 'measuredAt' | 'command' | 'environment'>>;
}
