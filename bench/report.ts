import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../lib/paths';
import { ChartOptions, lineChartSvg } from '../lib/report/line-chart';

/**
 * Writes a benchmark's figures to bench/results/<name>.json (with the time measured) and, for a
 * time series, its picture to <name>.svg; prints where they went.
 */
export function writeBenchReport(name: string, data: Record<string, unknown>, chart?: ChartOptions): void {
  const dir = join(projectRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const files = [`bench/results/${name}.json`];
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ measuredAt: new Date().toISOString(), ...data }, null, 2));
  if (chart) {
    writeFileSync(join(dir, `${name}.svg`), lineChartSvg(chart));
    files.push(`bench/results/${name}.svg`);
  }
  console.log(`report: ${files.join(', ')}`);
}
