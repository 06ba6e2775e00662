// A dependency-free SVG line chart for time-series reports (benchmarks, soak runs). Written by
// hand: the charting libraries on npm either need a DOM (d3, chart.js) or a headless browser.

export interface Series {
  name: string;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Horizontal reference lines, e.g. a target or an alert threshold. */
  thresholds?: { value: number; label: string }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function niceStep(range: number, ticks: number): number {
  const raw = range / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function fmt(v: number): string {
  if (Math.abs(v) >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (Math.abs(v) >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(2)}`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function lineChartSvg(o: ChartOptions): string {
  const width = o.width ?? 800;
  const height = o.height ?? 400;
  const m = { top: 40, right: 160, bottom: 50, left: 70 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.points);
  const ys = [...all.map((p) => p[1]), ...(o.thresholds ?? []).map((t) => t.value)];
  const xMin = Math.min(...all.map((p) => p[0]), 0);
  const xMax = Math.max(...all.map((p) => p[0]), xMin + 1);
  const yStep = niceStep(Math.max(...ys, 1), 5);
  const yMax = Math.ceil(Math.max(...ys, 1) / yStep) * yStep;
  const x = (v: number) => m.left + ((v - xMin) / (xMax - xMin)) * w;
  const y = (v: number) => m.top + h - (v / yMax) * h;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  }
  const xStep = niceStep(xMax - xMin, 8);
  for (let v = Math.ceil(xMin / xStep) * xStep; v <= xMax; v += xStep) {
    parts.push(`<text x="${x(v)}" y="${m.top + h + 18}" text-anchor="middle">${fmt(v)}</text>`);
  }
  parts.push(`<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="#333"/>`);
  parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="#333"/>`);
  parts.push(`<text x="${m.left + w / 2}" y="${height - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${m.top + h / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  for (const t of o.thresholds ?? []) {
    parts.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${y(t.value)}" y2="${y(t.value)}" stroke="#999" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${m.left + w - 4}" y="${y(t.value) - 4}" text-anchor="end" fill="#666">${esc(t.label)}</text>`);
  }
  o.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<rect x="${m.left + w + 15}" y="${m.top + i * 20}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${m.left + w + 32}" y="${m.top + i * 20 + 10}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Charts one above the other in one SVG file (each keeps its own size). */
export function stackCharts(charts: { svg: string; height: number }[], width = 800): string {
  let y = 0;
  const inner = charts.map((c) => {
    const placed = c.svg.replace('<svg ', `<svg y="${y}" `);
    y += c.height;
    return placed;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}">\n${inner.join('\n')}\n</svg>\n`;
}
