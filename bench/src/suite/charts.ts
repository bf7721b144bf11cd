import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { SectionResult } from './section.ts';

/** The section's bar chart as a PNG: vega-lite → vega → SVG (no canvas needed) → PNG by resvg. */
export async function renderChart(chart: SectionResult['chart']): Promise<Buffer> {
  const grouped = chart.bars.some((bar) => bar.series);
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 560,
    height: 280,
    background: 'white',
    data: { values: chart.bars.map((bar) => ({ ...bar, series: bar.series ?? '' })) },
    mark: { type: 'bar', tooltip: false },
    encoding: {
      x: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelAngle: 0, labelLimit: 160 } },
      y: { field: 'value', type: 'quantitative', title: chart.yTitle },
      ...(grouped ? { xOffset: { field: 'series', type: 'nominal', sort: null }, color: { field: 'series', type: 'nominal', title: null, sort: null } } : {}),
    },
    config: { font: 'DejaVu Sans' },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true } }).render().asPng();
}
