import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SectionResult } from './section.ts';

/** The section's bar chart as a PNG: vega-lite → vega → SVG (no canvas needed) → PNG by resvg. */
export async function renderChart(chart: SectionResult['chart']): Promise<Buffer> {
  const grouped = chart.bars.some((bar) => bar.series);
  const ranged = chart.bars.some((bar) => bar.min !== undefined && bar.max !== undefined);
  const labels = new Set(chart.bars.map((bar) => bar.label)).size;
  // Many labels side by side would overlap: slanted then.
  const x = { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelAngle: labels > 8 ? -35 : 0, labelLimit: 160 } } as const;
  const xOffset = grouped ? { xOffset: { field: 'series', type: 'nominal', sort: null } as const } : {};
  const y = { field: 'value', type: 'quantitative', title: chart.yTitle, ...(chart.yScale === 'log' ? { scale: { type: 'log' } } : {}) } as const;
  const bar = {
    mark: { type: 'bar', tooltip: false },
    encoding: { x, y, ...xOffset, ...(grouped ? { color: { field: 'series', type: 'nominal', title: null, sort: null } } : {}) },
  } as const;
  // min–max of the runs as a black rule over each bar (the bar is their median).
  const range = {
    transform: [{ filter: 'isValid(datum.min) && isValid(datum.max)' }],
    mark: { type: 'rule', color: 'black', strokeWidth: 1.5 },
    encoding: { x, ...xOffset, y: { ...y, field: 'min' }, y2: { field: 'max' } },
  } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: Math.max(560, labels * (grouped ? 60 : 40)),
    height: 280,
    background: 'white',
    data: { values: chart.bars.map((b) => ({ ...b, series: b.series ?? '' })) },
    ...(ranged ? { layer: [bar, range] } : bar),
    config: { font: 'DejaVu Sans' },
  } as TopLevelSpec;
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
}
